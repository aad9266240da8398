from ansible_collections.procall.msteams.plugins.module_utils._compare import DifferenceTracker


def test_unchanged_is_not_changed():
    t = DifferenceTracker()
    t.add("audience", "AzureADMyOrg", "AzureADMyOrg")
    t.add("redirects", ["b", "a"], ["a", "b"], unordered=True)
    assert not t.has_changed()
    assert t.get_before_after() == ({}, {})


def test_ordered_lists_differ_by_order():
    t = DifferenceTracker()
    assert t.add("list", ["b", "a"], ["a", "b"])
    assert t.has_changed() and t.changed_names() == ["list"]


def test_secret_values_are_masked():
    t = DifferenceTracker()
    t.add("secret", "old-value", "new-value", secret=True)
    t.add("same_secret", "v", "v", secret=True)
    before, after = t.get_before_after(all_items=True)
    assert before == {"secret": "REDACTED", "same_secret": "REDACTED"}
    assert after == {"secret": "CHANGED REDACTED", "same_secret": "REDACTED"}
    assert "old-value" not in repr(t.differences()) and "new-value" not in repr(t.diff())


def test_unordered_dict_lists():
    t = DifferenceTracker()
    a = [{"id": 1, "type": "Scope"}, {"id": 2, "type": "Role"}]
    assert not t.add("perm", a, list(reversed(a)), unordered=True)
    assert t.add("perm2", a, a[:1], unordered=True)
    assert t.diff() == {"before": {"perm2": a}, "after": {"perm2": a[:1]}}
