"""Just enough of GraphQL execution for the fake: argument values and result shaping from the AST."""

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, Undefined
from graphql.utilities import value_from_ast_untyped

# Interfaces our resolvers' objects implement, for `... on Node` style fragments.
INTERFACES = {"ProductVariant": {"Node"}, "InventoryItem": {"Node"}, "Location": {"Node"},
              "InventoryAdjustmentGroup": {"Node"}}


def effective_variables(operation, variables: dict | None) -> dict:
    """The request's variables with the operation's declared defaults filled in."""
    values = {}
    for definition in operation.variable_definitions or ():
        if definition.default_value is not None:
            values[definition.variable.name.value] = value_from_ast_untyped(definition.default_value)
    values.update(variables or {})
    return values


def _strip_undefined(value):
    # An unset variable resolves to Undefined; treat it as an absent key, as GraphQL does.
    if isinstance(value, dict):
        return {key: _strip_undefined(item) for key, item in value.items() if item is not Undefined}
    if isinstance(value, list):
        return [None if item is Undefined else _strip_undefined(item) for item in value]
    return value


def arguments(node, variables: dict) -> dict:
    """Argument values of a field or directive node, with variables substituted."""
    values = {}
    for argument in node.arguments or ():
        value = value_from_ast_untyped(argument.value, variables)
        if value is not Undefined:
            values[argument.name.value] = _strip_undefined(value)
    return values


def directive(field: FieldNode, name: str):
    """The directive `@name` on a field, or None."""
    return next((d for d in field.directives or () if d.name.value == name), None)


def _matches(type_condition, typename: str | None) -> bool:
    if type_condition is None:
        return True
    wanted = type_condition.name.value
    return wanted == typename or wanted in INTERFACES.get(typename, ())


def collect_fields(selection_set, fragments: dict, typename: str | None) -> list[FieldNode]:
    """The field nodes selected on an object of `typename`, fragments expanded, in order."""
    fields = []
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            fields.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            if _matches(selection.type_condition, typename):
                fields.extend(collect_fields(selection.selection_set, fragments, typename))
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None and _matches(fragment.type_condition, typename):
                fields.extend(collect_fields(fragment.selection_set, fragments, typename))
    return fields


def project(value, selection_set, fragments: dict, variables: dict | None = None):
    """Shape a resolved value (dicts and lists) to what the query selected, honouring aliases.

    Objects carry `__typename` so fragments on concrete types can be matched; fields the fake does
    not know come back as null rather than failing the request. A field that takes arguments
    (`inventoryLevel(locationId:)`) is a function of them.
    """
    if value is None or selection_set is None:
        return value
    if isinstance(value, list):
        return [project(item, selection_set, fragments, variables) for item in value]
    out = {}
    for field in collect_fields(selection_set, fragments, value.get("__typename")):
        name = field.name.value
        key = field.alias.value if field.alias else name
        resolved = value.get(name)
        if callable(resolved):
            resolved = resolved(arguments(field, variables or {}))
        out[key] = project(resolved, field.selection_set, fragments, variables)
    return out
