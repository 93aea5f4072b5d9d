//! AWS Signature Version 4 (`AWS4-HMAC-SHA256`), the verifying side: the canonical request,
//! the string to sign and the derived signing key, exactly as AWS's signers build them, so
//! a request signed by an AWS SDK, the AWS CLI or `curl --aws-sigv4` checks here.

use aws_lc_rs::hmac;
use subtle::ConstantTimeEq;

use crate::crypto::secret::sha256;

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The hex SHA-256 of an empty body, the payload hash of most GETs.
pub const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigError {
    /// The `Authorization` header (or the presigned query) is not a SigV4 credential.
    #[error("malformed signature: {0}")]
    Malformed(&'static str),
}

/// What an `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`
/// header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub access_key_id: String,
    /// `YYYYMMDD`, the scope's date.
    pub date: String,
    pub region: String,
    pub service: String,
    /// Lowercase, in the order given (the signer sorts them).
    pub signed_headers: Vec<String>,
    pub signature: String,
}

impl Authorization {
    pub fn parse(header: &str) -> Result<Self, SigError> {
        let rest = header
            .strip_prefix(ALGORITHM)
            .and_then(|r| r.strip_prefix(' '))
            .ok_or(SigError::Malformed("not AWS4-HMAC-SHA256"))?;
        let (mut credential, mut signed, mut signature) = (None, None, None);
        for part in rest.split(',') {
            let (name, value) = part
                .trim()
                .split_once('=')
                .ok_or(SigError::Malformed("a part has no value"))?;
            let slot = match name {
                "Credential" => &mut credential,
                "SignedHeaders" => &mut signed,
                "Signature" => &mut signature,
                _ => return Err(SigError::Malformed("unknown part")),
            };
            if slot.replace(value).is_some() {
                return Err(SigError::Malformed("a part is repeated"));
            }
        }
        let (credential, signed, signature) = match (credential, signed, signature) {
            (Some(c), Some(h), Some(s)) => (c, h, s),
            _ => {
                return Err(SigError::Malformed(
                    "Credential, SignedHeaders and Signature are needed",
                ));
            }
        };
        Self::from_parts(credential, signed, signature)
    }

    /// From the `X-Amz-Credential`, `X-Amz-SignedHeaders` and `X-Amz-Signature` values of a
    /// presigned URL (already percent-decoded), or the header's parts.
    pub fn from_parts(credential: &str, signed: &str, signature: &str) -> Result<Self, SigError> {
        let parts: Vec<&str> = credential.split('/').collect();
        let [key, date, region, service, "aws4_request"] = parts.as_slice() else {
            return Err(SigError::Malformed(
                "Credential is not key/date/region/service/aws4_request",
            ));
        };
        let well_formed_date = date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit());
        if key.is_empty() || !well_formed_date || region.is_empty() || service.is_empty() {
            return Err(SigError::Malformed(
                "Credential has an empty or malformed part",
            ));
        }
        let signed_headers: Vec<String> = signed.split(';').map(str::to_string).collect();
        if signed_headers
            .iter()
            .any(|h| h.is_empty() || h.bytes().any(|b| b.is_ascii_uppercase()))
        {
            return Err(SigError::Malformed("SignedHeaders must be lowercase names"));
        }
        if !signed_headers.iter().any(|h| h == "host") {
            return Err(SigError::Malformed("the host header must be signed"));
        }
        if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(SigError::Malformed("Signature is not 64 hex digits"));
        }
        Ok(Self {
            access_key_id: key.to_string(),
            date: date.to_string(),
            region: region.to_string(),
            service: service.to_string(),
            signed_headers,
            signature: signature.to_ascii_lowercase(),
        })
    }

    /// `date/region/service/aws4_request`.
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }
}

/// A request as received, for its canonical form.
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    pub method: &'a str,
    /// The path as sent, still percent-encoded.
    pub path: &'a str,
    /// The query string as sent, without `?`.
    pub query: &'a str,
    /// Every header, as received (any case).
    pub headers: &'a [(String, String)],
    /// The hex SHA-256 of the body, or `UNSIGNED-PAYLOAD` for a presigned URL.
    pub payload_hash: &'a str,
}

/// RFC 3986 encoding as SigV4 uses it: unreserved characters stay, the rest is `%XX`.
fn encode(text: &[u8]) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode(text: &str) -> Vec<u8> {
    percent_encoding::percent_decode_str(text).collect()
}

/// The canonical URI for services other than S3: dot segments removed, and each segment
/// encoded again over the encoding it arrived with, as AWS's signers do.
fn canonical_uri(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/').skip(1) {
        match segment {
            "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let encoded: Vec<String> = segments.iter().map(|s| encode(s.as_bytes())).collect();
    format!("/{}", encoded.join("/"))
}

/// Every parameter decoded then encoded the canonical way, sorted by name then value;
/// `X-Amz-Signature` (a presigned URL's own signature) is left out.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (name, value) = p.split_once('=').unwrap_or((p, ""));
            (encode(&decode(name)), encode(&decode(value)))
        })
        .filter(|(name, _)| name != "X-Amz-Signature")
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// `name:value` lines for the signed headers (values trimmed, inner runs of spaces made
/// one, repeats joined by commas), and the `;`-joined list of their names, sorted.
fn canonical_headers(headers: &[(String, String)], signed: &[String]) -> (String, String) {
    let mut names: Vec<&str> = signed.iter().map(String::as_str).collect();
    names.sort_unstable();
    names.dedup();
    let mut lines = String::new();
    for name in &names {
        let values: Vec<String> = headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        lines.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    (lines, names.join(";"))
}

pub fn canonical_request(request: &Received<'_>, signed_headers: &[String]) -> String {
    let (headers, names) = canonical_headers(request.headers, signed_headers);
    format!(
        "{}\n{}\n{}\n{headers}\n{names}\n{}",
        request.method,
        canonical_uri(request.path),
        canonical_query(request.query),
        request.payload_hash
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex(&sha256(canonical_request.as_bytes()))
    )
}

fn mac(key: &[u8], data: &str) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data.as_bytes())
        .as_ref()
        .to_vec()
}

/// `kSigning`: the secret, narrowed to one day, region and service.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k_date = mac(format!("AWS4{secret}").as_bytes(), date);
    let k_region = mac(&k_date, region);
    let k_service = mac(&k_region, service);
    mac(&k_service, "aws4_request")
}

/// The hex signature of `string_to_sign` under `signing_key`.
pub fn signature(signing_key: &[u8], string_to_sign: &str) -> String {
    hex(&mac(signing_key, string_to_sign))
}

/// Whether the presented signature is the expected one, in constant time.
pub fn signatures_match(expected: &str, presented: &str) -> bool {
    bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
}

#[cfg(test)]
mod tests;
