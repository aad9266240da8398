#!/usr/bin/env bash
# Placeholder until the playbooks exist (issue: playbooks and demo).
echo "make demo will: start the Graph emulator and simulated UCServer hosts in two tenants,"
echo "run procall.msteams.onboard, advance the clock, run procall.msteams.rotate_secret,"
echo "then procall.msteams.status. Not built yet."
