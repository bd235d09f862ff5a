//! The JSON Schemas of the JSON outputs, `docs/schema/*.schema.json`, generated from the
//! serde types by schemars. Tests only: the derive is `cfg_attr(test, ...)`, so neither the
//! binary nor `cargo build` carries it. `cargo test --lib schema` fails when a committed
//! file is not what the types generate; `LICPATH_UPDATE_SCHEMA=1 cargo test --lib schema`
//! rewrites the files. `tests/json_schema.rs` validates real outputs against them.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema};
use serde_json::Value;
use std::path::Path;

/// The schema of `T` as serialized (not as deserialized: a field skipped when empty is
/// not required, and absent rather than null), titled, every object closed to unknown
/// properties.
pub(crate) fn generate<T: JsonSchema>(title: &str, description: &str) -> Schema {
    let mut schema = SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
        .into_root_schema_for::<T>();
    absent_not_null(schema.as_object_mut().unwrap());
    schema.insert("title".into(), title.into());
    schema.insert("description".into(), description.into());
    schema.insert(
        "$comment".into(),
        "Generated from licpath's serde types: do not edit; \
         LICPATH_UPDATE_SCHEMA=1 cargo test --lib schema rewrites it"
            .into(),
    );
    assert_closed(schema.as_value(), false, "#");
    schema
}

/// `docs/schema/FILE` is `schema`, or is rewritten to it with LICPATH_UPDATE_SCHEMA set.
pub(crate) fn check_committed(file: &str, schema: &Schema) {
    let text = serde_json::to_string_pretty(schema).unwrap() + "\n";
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/schema")
        .join(file);
    if std::env::var_os("LICPATH_UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if let Some((n, (want, got))) = text
        .lines()
        .zip(committed.lines().chain(std::iter::repeat("(end of file)")))
        .enumerate()
        .find(|(_, (a, b))| a != b)
    {
        panic!(
            "{} is not what the types generate (line {}: {got:?}, the types say {want:?}): \
             LICPATH_UPDATE_SCHEMA=1 cargo test --lib schema rewrites it",
            path.display(),
            n + 1
        );
    }
    assert_eq!(committed.len(), text.len(), "{} runs on", path.display());
}

/// A property that is not required is one serde skips (`skip_serializing_if`: the types'
/// `Option`s are skipped when `None`), so it is absent, never null: its schema loses the
/// `null` schemars gives every `Option`.
fn absent_not_null(o: &mut serde_json::Map<String, Value>) {
    let required: Vec<Value> = match o.get("required") {
        Some(Value::Array(r)) => r.clone(),
        _ => Vec::new(),
    };
    if let Some(Value::Object(props)) = o.get_mut("properties") {
        for (name, p) in props.iter_mut() {
            if !required.contains(&Value::String(name.clone())) {
                drop_null(p);
            }
        }
    }
    for v in o.values_mut() {
        match v {
            Value::Object(sub) => absent_not_null(sub),
            Value::Array(items) => items
                .iter_mut()
                .filter_map(Value::as_object_mut)
                .for_each(absent_not_null),
            _ => {}
        }
    }
}

/// `{"type": [T, "null"]}` becomes `{"type": T}`, `{"anyOf": [S, {"type": "null"}]}` S.
fn drop_null(p: &mut Value) {
    let Some(o) = p.as_object_mut() else { return };
    let null = Value::String("null".into());
    if let Some(Value::Array(types)) = o.get_mut("type") {
        types.retain(|t| *t != null);
        if let [one] = types.as_slice() {
            let one = one.clone();
            o.insert("type".into(), one);
        }
    }
    if let Some(Value::Array(any)) = o.get("anyOf") {
        let kept: Vec<Value> = any
            .iter()
            .filter(|s| s.get("type") != Some(&null))
            .cloned()
            .collect();
        if let [Value::Object(one)] = kept.as_slice() {
            o.remove("anyOf");
            o.extend(one.clone());
        }
    }
}

/// Every object schema that names `properties` refuses the ones it does not name
/// (`additionalProperties` or `unevaluatedProperties` false), except the variants of a
/// flattened enum, which the object around them closes (`unevaluatedProperties` sees into
/// them): an output field that the schema does not know fails validation.
fn assert_closed(s: &Value, closed_around: bool, at: &str) {
    let Some(o) = s.as_object() else { return };
    let refuses = |k: &str| o.get(k) == Some(&Value::Bool(false));
    let unevaluated = refuses("unevaluatedProperties");
    assert!(
        !o.contains_key("properties")
            || closed_around
            || unevaluated
            || refuses("additionalProperties"),
        "{at}: an object open to properties it does not name \
         (#[cfg_attr(test, schemars(deny_unknown_fields))] on its type)"
    );
    for (k, v) in o {
        match (k.as_str(), v) {
            ("oneOf" | "anyOf" | "allOf", Value::Array(branches)) => {
                for (i, b) in branches.iter().enumerate() {
                    assert_closed(b, closed_around || unevaluated, &format!("{at}/{k}/{i}"));
                }
            }
            ("properties" | "$defs", Value::Object(m)) => {
                for (name, sub) in m {
                    assert_closed(sub, false, &format!("{at}/{k}/{name}"));
                }
            }
            ("prefixItems", Value::Array(items)) => {
                for (i, sub) in items.iter().enumerate() {
                    assert_closed(sub, false, &format!("{at}/{k}/{i}"));
                }
            }
            ("items" | "additionalProperties", _) => assert_closed(v, false, &format!("{at}/{k}")),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_schemas_are_what_the_types_generate() {
        check_committed(
            "licpath-report.schema.json",
            &generate::<super::super::json::Document>(
                "licpath JSON report",
                "What `licpath analyze|probe|check --format json` prints (docs/json-schema.md)",
            ),
        );
        check_committed(
            "licpath-report-line.schema.json",
            &generate::<super::super::jsonl::Object>(
                "licpath JSON line",
                "One line of `licpath analyze|probe|check --format jsonl` (docs/json-schema.md)",
            ),
        );
        check_committed(
            "licpath-watch-line.schema.json",
            &generate::<super::super::watch::Line>(
                "licpath watch JSON line",
                "One line of `licpath watch --format jsonl` (docs/json-schema.md)",
            ),
        );
    }

    /// An object left open (a type without deny_unknown_fields) is refused, and so is an
    /// open variant of an enum that is not flattened; a flattened variant is not.
    #[test]
    fn an_open_object_is_refused() {
        let open = serde_json::json!({"type": "object", "properties": {"a": {}}});
        let closed = serde_json::json!({"properties": {"a": {}}, "additionalProperties": false});
        let flattened = serde_json::json!({
            "properties": {"a": {}}, "oneOf": [open], "unevaluatedProperties": false});
        assert!(std::panic::catch_unwind(|| assert_closed(&open, false, "#")).is_err());
        assert_closed(&closed, false, "#");
        assert_closed(&flattened, false, "#");
        let tagged = serde_json::json!({"oneOf": [closed, open]});
        assert!(std::panic::catch_unwind(|| assert_closed(&tagged, false, "#")).is_err());
    }
}
