//! The error answers every route of a kind shares, and a description on every answer.

use serde_json::{Value, json};

use crate::admin::body::MAX_BODY_BYTES;

fn error(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    })
}

/// The answers every route of a kind can give, and a description on every answer.
pub(super) fn add_shared_responses(doc: &mut Value) {
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
