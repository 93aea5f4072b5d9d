//! The wire form of the endpoint's parameters: read once each from a query or form, and
//! added to a redirect URI's query.

use std::collections::HashMap;

/// Query or form parameters with each name at most once (RFC 6749 §3.1).
pub struct Params(HashMap<String, String>);

impl Params {
    /// Parses `application/x-www-form-urlencoded` bytes; repeated names and non-UTF-8 values
    /// are errors, not guesses.
    pub fn parse(raw: &[u8]) -> Result<Self, String> {
        let mut map = HashMap::new();
        for pair in raw.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
            let (k, v) = match pair.iter().position(|b| *b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &b""[..]),
            };
            let decode = |bytes: &[u8]| -> Result<String, String> {
                let plus: Vec<u8> = bytes
                    .iter()
                    .map(|b| if *b == b'+' { b' ' } else { *b })
                    .collect();
                let decoded: Vec<u8> = percent_encoding::percent_decode(&plus).collect();
                String::from_utf8(decoded).map_err(|_| "a parameter is not valid UTF-8".to_string())
            };
            let key = decode(k)?;
            let value = decode(v)?;
            if map.insert(key.clone(), value).is_some() {
                return Err(format!(
                    "the parameter `{}` is repeated",
                    key.chars().take(64).collect::<String>()
                ));
            }
        }
        Ok(Self(map))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// `uri` with `params` added to its query, keeping any query it already has.
pub fn with_query(uri: &str, params: &[(&str, &str)]) -> String {
    let mut out = uri.to_string();
    let mut sep = if uri.contains('?') { '&' } else { '?' };
    for (k, v) in params {
        out.push(sep);
        out.push_str(k);
        out.push('=');
        out.extend(url::form_urlencoded::byte_serialize(v.as_bytes()));
        sep = '&';
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_refuse_repeats_and_bad_utf8() {
        let p = Params::parse(b"a=1&b=x+y%21").unwrap();
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), Some("x y!"));
        assert!(Params::parse(b"a=1&a=2").is_err());
        assert!(Params::parse(b"a=%FF%FE").is_err());
    }

    #[test]
    fn query_is_appended() {
        assert_eq!(
            with_query("https://a/cb", &[("code", "x y")]),
            "https://a/cb?code=x+y"
        );
        assert_eq!(
            with_query("https://a/cb?k=1", &[("code", "c")]),
            "https://a/cb?k=1&code=c"
        );
    }
}
