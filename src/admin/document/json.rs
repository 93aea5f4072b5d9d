//! Edits of the document as JSON: finding a schema or an operation, merging into it, and
//! walking its parameters and schemas.

use serde_json::{Map, Value};

/// The schema named `name` in components.
pub(super) fn schema<'a>(doc: &'a mut Value, name: &str) -> &'a mut Value {
    doc.pointer_mut(&format!("/components/schemas/{name}"))
        .unwrap_or_else(|| panic!("the document has no schema {name}"))
}

/// Merges `extra` into property `field` of schema `name`.
pub(super) fn limit(doc: &mut Value, name: &str, field: &str, extra: Value) {
    let property = schema(doc, name)
        .pointer_mut(&format!("/properties/{field}"))
        .unwrap_or_else(|| panic!("schema {name} has no property {field}"));
    merge(property, extra);
}

pub(super) fn merge(target: &mut Value, extra: Value) {
    if let (Some(target), Value::Object(extra)) = (target.as_object_mut(), extra) {
        for (key, value) in extra {
            match (target.get_mut(&key), value) {
                (Some(existing @ Value::Object(_)), value @ Value::Object(_)) => {
                    merge(existing, value)
                }
                (_, value) => {
                    target.insert(key, value);
                }
            }
        }
    }
}

pub(super) fn operation<'a>(doc: &'a mut Value, id: &str) -> &'a mut Value {
    let paths = doc["paths"].as_object_mut().expect("paths");
    paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
        .find(|op| op["operationId"] == id)
        .unwrap_or_else(|| panic!("no operation {id}"))
}

pub(super) fn merge_all(mut a: Value, b: Value) -> Value {
    merge(&mut a, b);
    a
}

pub(super) fn walk_parameters(doc: &mut Value, f: &mut impl FnMut(&mut Value)) {
    for item in doc["paths"].as_object_mut().into_iter().flatten() {
        for (_, op) in item.1.as_object_mut().into_iter().flatten() {
            for param in op["parameters"].as_array_mut().into_iter().flatten() {
                f(param);
            }
        }
    }
}

/// Every schema object in the document, depth first.
pub(super) fn walk_schemas(value: &mut Value, f: &mut impl FnMut(&mut Map<String, Value>)) {
    match value {
        Value::Object(map) => {
            f(map);
            for (_, child) in map.iter_mut() {
                walk_schemas(child, f);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| walk_schemas(v, f)),
        _ => {}
    }
}
