"""OData query options as Microsoft Graph's directory endpoints apply them.

``$filter`` (eq, ne, not, in, startswith, endswith, and, or, parentheses, lambda ``any()`` on
string collections, typed literals), ``$search``, ``$orderby``. Rules, with the pages they come from:

- https://learn.microsoft.com/graph/filter-query-parameter: operators; "Guids unquoted, Strings
  quoted"; ``any()`` on collections (``identifierUris/any(x:x eq '...')``).
- https://learn.microsoft.com/graph/aad-advanced-queries: ``ne``, ``not``, ``endswith`` and ``$filter``
  together with ``$orderby`` are advanced queries: they need ``ConsistencyLevel: eventual`` and
  ``$count=true``; ``$search`` needs ``ConsistencyLevel: eventual``; ``$count`` as a segment too.
"""

from __future__ import annotations

import re

from .model import GraphError

ADVANCED_HINT = (
    "Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information"
)

TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"
    r"|(?P<num>-?\d+(?:\.\d+)?)|(?P<punct>[(),:/])|(?P<name>[A-Za-z_$@][\w.]*))"
)
COMPARE = ("eq", "ne", "gt", "ge", "lt", "le")


def unsupported(message: str) -> GraphError:
    return GraphError(400, "Request_UnsupportedQuery", message)


def bad_query(message: str) -> GraphError:
    return GraphError(400, "BadRequest", message)


class Literal:
    def __init__(self, kind: str, value):
        self.kind, self.value = kind, value  # kind: Edm.String, Edm.Guid, Edm.Int32, Edm.Boolean, null


def _tokens(text: str) -> list:
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise bad_query(f"Invalid filter clause: syntax error at position {pos} in '{text}'.")
        kind = match.lastgroup
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _itself(value):
    return value


def _property(name: str):
    def getter(item):
        return item.get(name)

    return getter


class FilterSpec:
    """What a collection allows: ``props`` name -> (edm type, collection?), the type name for errors."""

    def __init__(self, type_name: str, known: tuple, props: dict):
        self.type_name, self.known, self.props = type_name, known, props


class _Parser:
    def __init__(self, text: str, spec: FilterSpec):
        self.tokens, self.pos, self.spec = _tokens(text), 0, spec
        self.advanced_needed: list[str] = []

    def peek(self, offset=0):
        return self.tokens[self.pos + offset] if self.pos + offset < len(self.tokens) else (None, None)

    def take(self, want=None):
        tok = self.peek()
        if tok[0] is None or (want is not None and tok[1] != want):
            raise bad_query(f"Invalid filter clause: expected '{want or 'a token'}'.")
        self.pos += 1
        return tok

    def word(self, value: str) -> bool:
        kind, text = self.peek()
        return kind == "name" and text.lower() == value

    def parse(self):
        pred = self.or_expr()
        if self.pos != len(self.tokens):
            raise bad_query(f"Invalid filter clause: unexpected '{self.peek()[1]}'.")
        return pred

    def or_expr(self):
        preds = [self.and_expr()]
        while self.word("or"):
            self.take()
            preds.append(self.and_expr())
        return preds[0] if len(preds) == 1 else (lambda item: any(p(item) for p in preds))

    def and_expr(self):
        preds = [self.unary()]
        while self.word("and"):
            self.take()
            preds.append(self.unary())
        return preds[0] if len(preds) == 1 else (lambda item: all(p(item) for p in preds))

    def unary(self):
        if self.word("not"):
            self.take()
            self.advanced_needed.append("not")
            inner = self.unary()
            return lambda item: not inner(item)
        return self.primary()

    def literal(self) -> Literal:
        kind, text = self.take()
        if kind == "str":
            return Literal("Edm.String", text[1:-1].replace("''", "'"))
        if kind == "guid":
            return Literal("Edm.Guid", text.lower())
        if kind == "num":
            return Literal("Edm.Int32", float(text))
        if kind == "name" and text.lower() in ("true", "false"):
            return Literal("Edm.Boolean", text.lower() == "true")
        if kind == "name" and text.lower() == "null":
            return Literal("null", None)
        raise bad_query(f"Invalid filter clause: '{text}' is not a literal.")

    def prop(self, name: str):
        if name not in self.spec.known:
            raise bad_query(f"Could not find a property named '{name}' on type 'microsoft.graph.{self.spec.type_name}'.")
        if name not in self.spec.props:
            raise unsupported(f"Unsupported or invalid query filter clause specified for property '{name}' of resource '{self.spec.type_name}'.")
        return self.spec.props[name]

    @staticmethod
    def check_type(edm: str, lit: Literal, op: str):
        if lit.kind == "null" or lit.kind == edm or (edm == "Edm.Int32" and lit.kind == "Edm.Int32"):
            return
        kinds = {"eq": "Equal", "ne": "NotEqual", "gt": "GreaterThan", "ge": "GreaterThanOrEqual", "lt": "LessThan", "le": "LessThanOrEqual"}
        raise bad_query(
            f"A binary operator with incompatible types was detected. Found operand types '{edm}' and '{lit.kind}' for operator kind '{kinds.get(op, op)}'."
        )

    def compare(self, getter, edm: str, op: str, lit: Literal):
        self.check_type(edm, lit, op)
        if op == "ne":
            self.advanced_needed.append("ne")
        if op in ("gt", "ge", "lt", "le") and edm not in ("Edm.Int32", "Edm.DateTimeOffset"):
            raise unsupported(f"Unsupported or invalid query filter clause specified for operator '{op}' of resource '{self.spec.type_name}'.")

        def norm(v):
            return v.lower() if isinstance(v, str) else v

        want = norm(lit.value)

        def pred(item):
            have = norm(getter(item))
            if op == "eq":
                return have == want
            if op == "ne":
                return have != want
            if have is None or want is None:
                return False
            return {"gt": have > want, "ge": have >= want, "lt": have < want, "le": have <= want}[op]

        return pred

    def function(self, name: str, var: str | None = None):
        self.take("(")
        kind, target = self.take()
        if kind != "name":
            raise bad_query(f"Invalid filter clause: {name}() needs a property.")
        self.take(",")
        lit = self.literal()
        self.take(")")
        if name == "endswith":
            self.advanced_needed.append("endswith")
        if var is not None and target == var:
            edm, getter = "Edm.String", _itself
        else:
            edm, many = self.prop(target)
            if many:
                raise unsupported(f"Unsupported or invalid query filter clause specified for property '{target}' of resource '{self.spec.type_name}'.")
            getter = _property(target)
        self.check_type(edm, lit, "eq")
        want = (lit.value or "").lower()
        test = str.startswith if name == "startswith" else str.endswith
        return lambda item: isinstance(getter(item), str) and test(getter(item).lower(), want)

    def primary(self):
        kind, text = self.peek()
        if kind == "punct" and text == "(":
            self.take("(")
            inner = self.or_expr()
            self.take(")")
            return inner
        if kind != "name":
            raise bad_query(f"Invalid filter clause: unexpected '{text}'.")
        if text.lower() in ("startswith", "endswith"):
            self.take()
            return self.function(text.lower())
        self.take()
        name = text
        if self.peek()[1] == "/":
            return self.lambda_any(name)
        edm, many = self.prop(name)
        if many:
            raise unsupported(
                f"Unsupported or invalid query filter clause specified for property '{name}' of resource '{self.spec.type_name}'. Use {name}/any()."
            )
        return self.comparison_or_in(_property(name), edm)

    def comparison_or_in(self, getter, edm):
        kind, op = self.take()
        op = op.lower()
        if op == "in":
            self.take("(")
            values = [self.literal()]
            while self.peek()[1] == ",":
                self.take(",")
                values.append(self.literal())
            self.take(")")
            for lit in values:
                self.check_type(edm, lit, "eq")
            wanted = {v.value.lower() if isinstance(v.value, str) else v.value for v in values}
            return lambda item: (getter(item).lower() if isinstance(getter(item), str) else getter(item)) in wanted
        if op not in COMPARE:
            raise bad_query(f"Invalid filter clause: unknown operator '{op}'.")
        return self.compare(getter, edm, op, self.literal())

    def lambda_any(self, name: str):
        edm, many = self.prop(name)
        if not many:
            raise bad_query(f"The parent value for a property access of a property '{name}' is not a single value; any() needs a collection.")
        self.take("/")
        kind, func = self.take()
        if func.lower() != "any":
            raise unsupported(f"Lambda operator '{func}' is not supported on '{name}'.")
        self.take("(")
        _kind, var = self.take()
        self.take(":")
        if self.word("startswith"):
            self.take()
            inner = self.function("startswith", var)
        else:
            kind2, target = self.take()
            if target != var:
                raise bad_query(f"Invalid filter clause: the lambda body must use its variable '{var}'.")
            inner = self.comparison_or_in(_itself, edm)
        self.take(")")
        return lambda item: any(inner(value) for value in item.get(name) or [])


def parse_filter(text: str, spec: FilterSpec, advanced: bool):
    """A predicate for ``$filter``; raises Graph's error for what Graph refuses."""
    parser = _Parser(text, spec)
    pred = parser.parse()
    if parser.advanced_needed and not advanced:
        op = parser.advanced_needed[0]
        raise unsupported(f"Operator '{op}' is not supported because the required parameters might be missing. {ADVANCED_HINT}")
    return pred


SEARCH_CLAUSE = re.compile(r'^"([A-Za-z]+):([^"]*)"$')


def parse_search(text: str, type_name: str, searchable: tuple):
    """``$search="displayName:word"`` joined by AND / OR: word-prefix match, case-insensitive."""
    parts = re.split(r"\s+(AND|OR)\s+", text.strip())
    clauses, joins = parts[0::2], parts[1::2]
    preds = []
    for clause in clauses:
        match = SEARCH_CLAUSE.match(clause.strip())
        if not match:
            raise bad_query(f"Syntax error: the $search clause '{clause}' must be \"property:value\".")
        prop, term = match.group(1), match.group(2).lower()
        if prop not in searchable:
            raise unsupported(f"Search is not supported on property '{prop}' of resource '{type_name}'.")

        def pred(item, p=prop, t=term):
            value = (item.get(p) or "").lower()
            return any(word.startswith(t) for word in re.split(r"[\s\-_.,;:/]+", value)) or t in value

        preds.append(pred)

    def combined(item):
        result = preds[0](item)
        for join, pred in zip(joins, preds[1:]):
            result = (result and pred(item)) if join == "AND" else (result or pred(item))
        return result

    return combined


def parse_orderby(text: str, type_name: str, known: tuple, by_default: tuple, sortable: tuple, advanced: bool, filtered: bool):
    """[(property, descending)] for ``$orderby``."""
    keys = []
    for part in text.split(","):
        bits = part.strip().split()
        if not bits or len(bits) > 2 or (len(bits) == 2 and bits[1].lower() not in ("asc", "desc")):
            raise bad_query(f"Syntax error in $orderby: '{part}'.")
        prop = bits[0]
        if prop not in known:
            raise bad_query(f"Could not find a property named '{prop}' on type 'microsoft.graph.{type_name}'.")
        if prop not in sortable:
            raise unsupported("Sorting not supported for current query.")
        if (prop not in by_default or filtered) and not advanced:
            raise unsupported(f"Sorting on '{prop}' here is an advanced query. {ADVANCED_HINT}")
        keys.append((prop, len(bits) == 2 and bits[1].lower() == "desc"))
    return keys
