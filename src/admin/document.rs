//! The admin API's OpenAPI document: collected from the handlers' annotations, then
//! completed here with what the annotations cannot say: the limits the validators enforce
//! (taken from the validators' own constants, so the two cannot drift), the error answers
//! every route shares, and integer formats that match what the server parses.
//!
//! The document states only conditions the server enforces: a body it refuses may still
//! match the schema (a password against the pool's policy, a scope that must exist), but a
//! body the schema refuses is always refused.

use serde_json::{Map, Value, json};
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_actix_web::AppExt;

use crate::accounts::users::shapes::USERNAME_MAX;
use crate::accounts::{attributes, groups, password_policy};
use crate::admin::body::MAX_BODY_BYTES;
use crate::pools::text::{free_text_pattern, name_pattern, word_pattern};
use crate::pools::{client_config, pool_config, resource_servers, urls};
use crate::store::paging::MAX_LIMIT;

/// `is_email` takes at most this many bytes, so at most this many characters.
const EMAIL_MAX: usize = 254;

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

/// The schema named `name` in components.
fn schema<'a>(doc: &'a mut Value, name: &str) -> &'a mut Value {
    doc.pointer_mut(&format!("/components/schemas/{name}"))
        .unwrap_or_else(|| panic!("the document has no schema {name}"))
}

/// Merges `extra` into property `field` of schema `name`.
fn limit(doc: &mut Value, name: &str, field: &str, extra: Value) {
    let property = schema(doc, name)
        .pointer_mut(&format!("/properties/{field}"))
        .unwrap_or_else(|| panic!("schema {name} has no property {field}"));
    merge(property, extra);
}

fn merge(target: &mut Value, extra: Value) {
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

fn range<T: Copy + Into<i64>>(r: &std::ops::RangeInclusive<T>) -> Value {
    json!({"minimum": (*r.start()).into(), "maximum": (*r.end()).into()})
}

fn name(max: usize) -> Value {
    json!({"minLength": 1, "maxLength": max, "pattern": name_pattern(max)})
}

fn word(max: usize) -> Value {
    json!({"minLength": 1, "maxLength": max, "pattern": word_pattern(max)})
}

fn free_text(max: usize) -> Value {
    json!({"maxLength": max, "pattern": free_text_pattern(max)})
}

fn url() -> Value {
    json!({"minLength": 1, "maxLength": urls::URL_MAX_LENGTH})
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

fn operation<'a>(doc: &'a mut Value, id: &str) -> &'a mut Value {
    let paths = doc["paths"].as_object_mut().expect("paths");
    paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
        .find(|op| op["operationId"] == id)
        .unwrap_or_else(|| panic!("no operation {id}"))
}

fn add_limits(doc: &mut Value) {
    // Pools.
    for s in ["NewPool", "PoolPatch"] {
        limit(doc, s, "name", name(pool_config::NAME_MAX));
        limit(
            doc,
            s,
            "auto_verified_attributes",
            json!({"uniqueItems": true, "items": {"enum": pool_config::AUTO_VERIFIABLE}}),
        );
        limit(
            doc,
            s,
            "schema",
            json!({"maxItems": pool_config::MAX_CUSTOM_ATTRIBUTES}),
        );
        limit(
            doc,
            s,
            "mfa_configuration",
            json!({"enum": pool_config::MFA_CONFIGURATIONS.iter().map(|m| json!(m)).chain([Value::Null]).collect::<Vec<_>>()}),
        );
        limit(
            doc,
            s,
            "mfa_factors",
            json!({"uniqueItems": true, "items": {"enum": crate::accounts::types::MfaFactor::ALL.iter().map(|f| f.as_str()).collect::<Vec<_>>()}}),
        );
        limit(
            doc,
            s,
            "token_signing_algorithm",
            json!({"enum": crate::crypto::jwt::Algorithm::ALL.iter().map(|a| json!(a.as_str())).chain([Value::Null]).collect::<Vec<_>>()}),
        );
    }
    limit(
        doc,
        "SignInPolicy",
        "allowed_first_auth_factors",
        json!({"uniqueItems": true, "minItems": 1, "items": {"enum": pool_config::FIRST_AUTH_FACTORS}}),
    );
    limit(
        doc,
        "RefreshTokenRotation",
        "retry_grace_period_seconds",
        range(&client_config::RETRY_GRACE_PERIOD_SECONDS),
    );
    limit(
        doc,
        "NewPool",
        "username_attributes",
        json!({"maxItems": 1, "items": {"enum": ["email"]}}),
    );
    for s in ["PasswordPolicyPatch", "PasswordPolicy"] {
        limit(
            doc,
            s,
            "minimum_length",
            range(&pool_config::MINIMUM_LENGTH),
        );
        limit(
            doc,
            s,
            "temporary_password_validity_days",
            range(&pool_config::TEMPORARY_PASSWORD_DAYS),
        );
    }
    limit(
        doc,
        "CustomAttribute",
        "name",
        json!({"pattern": format!("^[A-Za-z0-9_-]{{1,{}}}$", pool_config::CUSTOM_ATTRIBUTE_NAME_MAX)}),
    );
    limit(
        doc,
        "CustomAttribute",
        "type",
        json!({"enum": pool_config::ATTRIBUTE_TYPES}),
    );
    for field in ["min_length", "max_length"] {
        limit(
            doc,
            "CustomAttribute",
            field,
            json!({"minimum": 0, "maximum": pool_config::CUSTOM_ATTRIBUTE_LENGTH_MAX}),
        );
    }
    limit(
        doc,
        "EmailSettings",
        "from",
        json!({"minLength": 3, "maxLength": EMAIL_MAX}),
    );
    limit(
        doc,
        "EmailSettings",
        "verification_subject",
        name(pool_config::EMAIL_SUBJECT_MAX),
    );
    limit(
        doc,
        "EmailSettings",
        "verification_message",
        merge_all(
            free_text(pool_config::EMAIL_MESSAGE_MAX),
            json!({"minLength": 6}),
        ),
    );
    limit(
        doc,
        "Branding",
        "display_name",
        name(pool_config::DISPLAY_NAME_MAX),
    );
    limit(doc, "Branding", "logo_url", url());
    limit(
        doc,
        "Branding",
        "primary_color",
        json!({"pattern": "^#[0-9A-Fa-f]{6}$"}),
    );

    // Clients.
    for s in ["NewClient", "ClientPatch"] {
        limit(doc, s, "name", name(client_config::NAME_MAX));
        for field in ["callback_urls", "logout_urls"] {
            limit(
                doc,
                s,
                field,
                json!({"maxItems": client_config::MAX_URLS, "uniqueItems": true, "items": url()}),
            );
        }
        limit(
            doc,
            s,
            "default_redirect_uri",
            json!({"maxLength": urls::URL_MAX_LENGTH}),
        );
        limit(
            doc,
            s,
            "allowed_oauth_flows",
            json!({"items": {"enum": client_config::OAUTH_FLOWS}}),
        );
        limit(
            doc,
            s,
            "allowed_oauth_scopes",
            json!({"uniqueItems": true, "items": {"minLength": 1}}),
        );
        limit(
            doc,
            s,
            "explicit_auth_flows",
            json!({"items": {"enum": client_config::EXPLICIT_AUTH_FLOWS}}),
        );
        limit(
            doc,
            s,
            "access_token_validity",
            range(&client_config::ACCESS_TOKEN_VALIDITY),
        );
        limit(
            doc,
            s,
            "id_token_validity",
            range(&client_config::ID_TOKEN_VALIDITY),
        );
        limit(
            doc,
            s,
            "refresh_token_validity",
            range(&client_config::REFRESH_TOKEN_VALIDITY),
        );
        for field in ["read_attributes", "write_attributes"] {
            limit(
                doc,
                s,
                field,
                json!({"items": {"anyOf": [
                    {"enum": client_config::STANDARD_ATTRIBUTES},
                    {"pattern": "^custom:"},
                ]}}),
            );
        }
    }

    // Resource servers.
    for s in ["NewResourceServer", "ResourceServerUpdate"] {
        limit(doc, s, "identifier", word(resource_servers::IDENTIFIER_MAX));
        limit(doc, s, "name", name(resource_servers::NAME_MAX));
        limit(
            doc,
            s,
            "scopes",
            json!({"maxItems": resource_servers::MAX_SCOPES}),
        );
    }
    limit(
        doc,
        "CustomScope",
        "name",
        json!({
            "minLength": 1,
            "maxLength": resource_servers::SCOPE_NAME_MAX,
            "pattern": format!("^[!-.0-~]{{1,{}}}$", resource_servers::SCOPE_NAME_MAX),
        }),
    );
    limit(
        doc,
        "CustomScope",
        "description",
        name(resource_servers::SCOPE_DESCRIPTION_MAX),
    );

    // Identity providers.
    {
        use crate::federation::providers as idp;
        let visible = |max: usize| json!({"minLength": 1, "maxLength": max, "pattern": format!("^[!-~]{{1,{max}}}$")});
        limit(
            doc,
            "NewIdentityProvider",
            "name",
            json!({"minLength": 1, "maxLength": idp::NAME_MAX,
                   "pattern": format!("^[A-Za-z0-9][A-Za-z0-9._-]{{0,{}}}$", idp::NAME_MAX - 1)}),
        );
        limit(
            doc,
            "NewIdentityProvider",
            "type",
            json!({"enum": ["OIDC"]}),
        );
        for s in ["NewIdentityProvider", "IdentityProviderUpdate"] {
            limit(
                doc,
                s,
                "idp_identifiers",
                json!({"maxItems": idp::MAX_IDENTIFIERS, "items": {"minLength": 1,
                       "maxLength": idp::IDENTIFIER_MAX, "pattern": "^[A-Za-z0-9._+=@-]+$"}}),
            );
            limit(
                doc,
                s,
                "attribute_mapping",
                json!({"maxProperties": idp::MAX_MAPPINGS,
                       "additionalProperties": visible(idp::CLAIM_MAX)}),
            );
        }
        for s in ["NewDetails", "DetailsUpdate"] {
            limit(doc, s, "issuer", visible(idp::URL_MAX));
            limit(doc, s, "client_id", visible(idp::CLIENT_ID_MAX));
            limit(doc, s, "client_secret", visible(idp::SECRET_MAX));
            limit(
                doc,
                s,
                "authorize_scopes",
                json!({"maxLength": idp::URL_MAX}),
            );
            limit(
                doc,
                s,
                "attributes_request_method",
                json!({"enum": ["GET", "POST"]}),
            );
        }
        for field in ["provider_name", "provider_subject"] {
            limit(
                doc,
                "LinkedIdentity",
                field,
                visible(crate::federation::mapping::SUBJECT_MAX),
            );
        }
    }

    // Users: a username is a word, or an email address where that is the username.
    let password = json!({
        "minLength": pool_config::MINIMUM_LENGTH.start(),
        "maxLength": password_policy::MAX_LENGTH,
    });
    limit(
        doc,
        "NewUser",
        "username",
        word(EMAIL_MAX.max(USERNAME_MAX)),
    );
    limit(doc, "NewUser", "password", password.clone());
    limit(doc, "NewUser", "temporary_password", password.clone());
    limit(doc, "SetPassword", "password", password);
    for s in ["NewUser", "UserPatch"] {
        limit(
            doc,
            s,
            "attributes",
            json!({"maxProperties": attributes::MAX_ATTRIBUTES}),
        );
    }

    // Groups.
    limit(doc, "NewGroup", "name", word(groups::NAME_MAX));
    for s in ["NewGroup", "GroupPatch"] {
        limit(doc, s, "description", free_text(groups::DESCRIPTION_MAX));
        limit(doc, s, "precedence", range(&groups::PRECEDENCE));
    }

    // Lists.
    walk_parameters(doc, &mut |param| {
        if param["in"] != "query" {
            return;
        }
        // A query parameter is absent or a value; `null` is not something a URL can say.
        if let Some(types) = param["schema"]["type"].as_array().cloned() {
            let kept: Vec<Value> = types.into_iter().filter(|t| t != "null").collect();
            param["schema"]["type"] = kept.first().cloned().unwrap_or(Value::Null);
        }
        match param["name"].as_str() {
            Some("limit") => merge(
                &mut param["schema"],
                json!({"minimum": 1, "maximum": MAX_LIMIT, "default": MAX_LIMIT}),
            ),
            Some("next_token") => merge(&mut param["schema"], json!({"maxLength": 2048})),
            _ => {}
        }
    });
}

fn merge_all(mut a: Value, b: Value) -> Value {
    merge(&mut a, b);
    a
}

fn walk_parameters(doc: &mut Value, f: &mut impl FnMut(&mut Value)) {
    for item in doc["paths"].as_object_mut().into_iter().flatten() {
        for (_, op) in item.1.as_object_mut().into_iter().flatten() {
            for param in op["parameters"].as_array_mut().into_iter().flatten() {
                f(param);
            }
        }
    }
}

/// Every schema object in the document, depth first.
fn walk_schemas(value: &mut Value, f: &mut impl FnMut(&mut Map<String, Value>)) {
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

fn error(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    })
}

/// The answers every route of a kind can give, and a description on every answer.
fn add_shared_responses(doc: &mut Value) {
    let body_too_large = format!("The body is over {} KiB", MAX_BODY_BYTES / 1024);
    for (path, item) in doc["paths"].as_object_mut().into_iter().flatten() {
        let in_pool = path.contains("{pool_id}");
        for (_, op) in item.as_object_mut().into_iter().flatten() {
            let has_body = op.get("requestBody").is_some();
            let is_list = op["parameters"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["name"] == "limit"));
            let Some(responses) = op["responses"].as_object_mut() else {
                continue;
            };
            let mut shared = vec![
                (
                    "401",
                    error("The request signature or credentials are invalid"),
                ),
                (
                    "403",
                    error(
                        "The caller's policies do not allow this operation's IAM action on its resource",
                    ),
                ),
            ];
            if in_pool {
                shared.push((
                    "404",
                    error("No such pool, or no such record in it (ids of the wrong shape too)"),
                ));
            }
            if has_body {
                shared.push((
                    "400",
                    error(
                        "Not one JSON object: malformed, wrong types, unknown or duplicate keys, \
                         an array for an object, or a content type other than JSON",
                    ),
                ));
                shared.push(("413", error(&body_too_large)));
                shared.push((
                    "422",
                    error("A value breaks a rule; the message starts with the field"),
                ));
            }
            if is_list {
                shared.push((
                    "400",
                    error("A query parameter is not of its type, such as a `limit` that is not an integer"),
                ));
                shared.push((
                    "422",
                    error("`limit` is outside its range, `next_token` is not one this API issued, or the filter is invalid"),
                ));
            }
            // Last, so an operation's own 400 keeps its description.
            shared.push(("400", error("The path has an empty or dot segment")));
            for (status, answer) in shared {
                match responses.get_mut(status) {
                    Some(existing) => {
                        if existing.get("description").is_none() {
                            existing["description"] = answer["description"].clone();
                        }
                        if existing.get("content").is_none() {
                            existing["content"] = answer["content"].clone();
                        }
                    }
                    None => {
                        responses.insert(status.into(), answer);
                    }
                }
            }
            for (status, response) in responses.iter_mut() {
                if response.get("description").is_none() {
                    response["description"] = json!(match status.as_str() {
                        "200" => "Done; the record as it is now",
                        "201" => "Created; the new record",
                        "204" => "Done; no body",
                        "409" => "Conflicts with the stored state; the message says how",
                        _ => "See the error message",
                    });
                }
            }
        }
    }
}
