//! The admin API's OpenAPI document: collected from the handlers' annotations, then
//! completed here with what the annotations cannot say: the limits the validators enforce
//! (taken from the validators' own constants, so the two cannot drift), the error answers
//! every route shares, and integer formats that match what the server parses.
//!
//! The document states only conditions the server enforces: a body it refuses may still
//! match the schema (a password against the pool's policy, a scope that must exist), but a
//! body the schema refuses is always refused.
//!
//! `limits` holds the validators' limits, `responses` the shared answers, and `json` the
//! edits of the document as JSON that both make.

mod json;
mod limits;
mod responses;

use serde_json::{Map, Value, json};
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_actix_web::AppExt;

use crate::admin::document::json::{limit, operation, schema, walk_schemas};
use crate::admin::document::limits::add_limits;
use crate::admin::document::responses::add_shared_responses;

/// The OpenAPI document of the admin API.
pub fn openapi() -> OpenApi {
    let (_, mut api) = actix_web::App::new()
        .into_utoipa_app()
        .service(crate::admin::scope())
        .split_for_parts();
    api.info.title = "Cognate admin API".into();
    api.info.version = env!("CARGO_PKG_VERSION").into();
    api.info.contact = None;
    api.info.license = Some(utoipa::openapi::License::new("Apache-2.0"));
    api.info.description = Some(
        "Configure user pools, app clients, resource servers, users and groups, and the IAM users, \
         groups, roles and policies that may. Every route needs a credential: an access key's SigV4 \
         signature (service `cognito-idp`), `Authorization: Bearer <access key id>:<secret>`, or \
         the root key as `Authorization: Bearer <root key>`; each operation names its IAM action \
         (`x-iam-action`). Errors are `{\"error\": {\"code\", \"message\"}}`. \
         Bodies are JSON objects at every depth: an array never stands for an object and a key \
         may appear only once. Integers may be written as integral numbers such as `1e2`."
            .into(),
    );
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "admin_key",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "`<access key id>:<secret access key>`, or the root key (COGNATE_ADMIN_KEY, or <data dir>/admin-key). AWS Signature Version 4 (service `cognito-idp`) is accepted too.",
                ))
                .build(),
        ),
    );
    api.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
        "admin_key",
        Vec::<String>::new(),
    )]);
    // Completed as JSON: the limits and shared answers are data, not types.
    let mut doc = serde_json::to_value(&api).expect("the document serializes");
    complete(&mut doc);
    serde_json::from_value(doc).expect("the completed document is an OpenAPI document")
}

/// The methods the document gives for the route that `path` names, as an `Allow` value;
/// `None` when no route has this shape.
pub fn methods_of(path: &str) -> Option<String> {
    static ROUTES: std::sync::OnceLock<Vec<(Vec<String>, String)>> = std::sync::OnceLock::new();
    let routes = ROUTES.get_or_init(|| {
        let doc = serde_json::to_value(openapi()).expect("the document serializes");
        let mut routes = Vec::new();
        for (template, item) in doc["paths"].as_object().into_iter().flatten() {
            let segments = template.split('/').map(str::to_string).collect();
            let methods: Vec<String> = item
                .as_object()
                .into_iter()
                .flatten()
                .map(|(method, _)| method.to_uppercase())
                .collect();
            routes.push((segments, methods.join(", ")));
        }
        routes
    });
    let asked: Vec<&str> = path.split('/').collect();
    routes.iter().find_map(|(segments, methods)| {
        let fits = segments.len() == asked.len()
            && segments.iter().zip(&asked).all(|(template, given)| {
                if template.starts_with('{') {
                    !given.is_empty()
                } else {
                    template == given
                }
            });
        fits.then(|| methods.clone())
    })
}

fn complete(doc: &mut Value) {
    name_actions(doc);
    limit(
        doc,
        "SimulateBody",
        "context",
        json!({"additionalProperties": {"oneOf": [
            {"type": "string"},
            {"type": "array", "items": {"type": "string"}}
        ]}}),
    );
    split_client_input(doc);
    add_limits(doc);
    add_shared_responses(doc);
    walk_schemas(doc, &mut integer_format);
}

/// Every operation names the IAM action it is authorised by (`x-iam-action`), and says so
/// in its description, from the same table the server authorises with.
fn name_actions(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let route = path.strip_prefix("/admin/v1").unwrap_or(path);
        for (method, operation) in item.as_object_mut().into_iter().flatten() {
            let Some(action) = crate::iam::actions::action_for(method, route) else {
                continue;
            };
            if let Some(operation) = operation.as_object_mut() {
                operation.insert("x-iam-action".into(), json!(action));
                let text = format!("IAM action: `{action}`.");
                let description = match operation.get("description").and_then(Value::as_str) {
                    Some(existing) if !existing.is_empty() => format!("{existing}\n\n{text}"),
                    _ => text,
                };
                operation.insert("description".into(), json!(description));
            }
        }
    }
}

/// `POST` takes a name and may make a secret; `PATCH` takes neither as required and cannot
/// make a secret. One Rust type serves both, so the document gets two schemas from it.
fn split_client_input(doc: &mut Value) {
    let input = schema(doc, "ClientInput").clone();
    let mut create = input.clone();
    create["required"] = json!(["name"]);
    create["description"] = json!("`POST /pools/{pool_id}/clients` body.");
    let mut patch = input;
    if let Some(properties) = patch["properties"].as_object_mut() {
        properties.remove("generate_secret");
    }
    patch["description"] =
        json!("`PATCH /pools/{pool_id}/clients/{client_id}` body: only the fields to change.");
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        schemas.remove("ClientInput");
        schemas.insert("NewClient".into(), create);
        schemas.insert("ClientPatch".into(), patch);
    }
    for (id, target) in [
        ("createClient", "NewClient"),
        ("updateClient", "ClientPatch"),
    ] {
        let body = operation(doc, id)
            .pointer_mut("/requestBody/content/application~1json/schema")
            .unwrap_or_else(|| panic!("{id} has no JSON body"));
        *body = json!({"$ref": format!("#/components/schemas/{target}")});
    }
}

/// The server reads integers as `u32` or `i64`; both fit `int64`, and each request field
/// carries its own bounds. utoipa's `int32` would refuse half of `u32`.
fn integer_format(schema: &mut Map<String, Value>) {
    let is_integer = match schema.get("type") {
        Some(Value::String(t)) => t == "integer",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "integer"),
        _ => false,
    };
    if is_integer {
        schema.insert("format".into(), json!("int64"));
    }
}
