//! A request's headers as plain name and value pairs: what the IAM gate reads, which knows
//! no HTTP crate.

/// Every header of the request, names lower-case, values as text (invalid UTF-8 replaced).
pub fn pairs(headers: &actix_web::http::header::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}
