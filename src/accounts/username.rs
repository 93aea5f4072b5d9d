//! Usernames as RFC 8265 prepares them, so that width, normalisation and case variants of one
//! name meet on one key, and new names that mix scripts confusably (UTS #39) are refused.
//! Names being created, stored keys and names typed at sign-in all go through here.

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use precis_profiles::precis_core::Error as PrecisError;
use precis_profiles::precis_core::profile::{PrecisFastInvocation, Rules};
use precis_profiles::{UsernameCaseMapped, UsernameCasePreserved};
use unicode_security::mixed_script::AugmentedScriptSet;

use crate::error::{Error, Result};
use crate::pools::Pool;
use crate::pools::text;

/// Longest username, in characters of its prepared form.
pub const MAX_CHARS: usize = 128;

/// Longer input matches no stored name (128 characters, or an email of at most 254 bytes), so
/// it is not worth preparing.
const MAX_LOOKUP_BYTES: usize = 512;

/// Whether keys fold case: UsernameCaseMapped (RFC 8265 §3.3), or UsernameCasePreserved
/// (§3.4) for pools with `case_sensitive_usernames`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    Mapped,
    Preserved,
}

/// Where the email is the username, its local part and each domain label are prepared (and
/// script-checked) on their own: `иван@example.com` and `שלום@example.com` are fine addresses,
/// though neither is one script or one direction as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Name,
    Email,
}

fn rules(pool: &Pool) -> (Case, Shape) {
    let case = if pool.config.case_sensitive_usernames {
        Case::Preserved
    } else {
        Case::Mapped
    };
    let shape = if pool.config.email_is_username() {
        Shape::Email
    } else {
        Shape::Name
    };
    (case, shape)
}

/// A username as it is stored and shown: width-mapped, NFC, case preserved, and refused when
/// RFC 8265 disallows a code point or when it mixes scripts confusably.
pub fn for_new_user(raw: &str) -> Result<String> {
    checked("username", raw, Shape::Name)
}

/// An email address as the pool stores it. Where it is the username it is prepared and
/// checked like one, under `field`; elsewhere it is only an attribute and stays as given.
pub fn email_for(pool: &Pool, field: &str, raw: &str) -> Result<String> {
    if !pool.config.email_is_username() {
        return Ok(raw.to_string());
    }
    let email = checked(field, raw, Shape::Email)?;
    if !text::is_email(&email) {
        return Err(Error::validation(field, "must be a valid email address"));
    }
    Ok(email)
}

/// The key a typed username (or email, or sub, where the email is the username) is looked up
/// by; `None` when it cannot be prepared, since no stored name has such a key. Script mixing
/// is not checked here: it is a rule for new names, and a lookup only has to find or miss.
pub fn lookup_key(pool: &Pool, raw: &str) -> Option<String> {
    let (case, shape) = rules(pool);
    prepared_key(raw, case, shape)
}

/// `lookup_key`, or for input that cannot be prepared a key no stored name has, still one per
/// typed name: such a name is throttled and costs a lookup like any unknown one. The digest
/// keeps hostile text out of the throttle table; U+FFFD is outside RFC 8265's repertoire, so
/// no prepared key starts with it.
pub fn login_key(pool: &Pool, raw: &str) -> String {
    lookup_key(pool, raw).unwrap_or_else(|| {
        format!(
            "\u{FFFD}{}",
            URL_SAFE_NO_PAD.encode(crate::crypto::secret::sha256(raw.as_bytes()))
        )
    })
}

/// Who looks a name up. For anyone (sign-in, confirm, reset) a name that cannot be prepared
/// is unknown; an admin still reaches a user stored under such a name before preparation, to
/// fix or delete it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    Anyone,
    Admin,
}

/// The keys to look a typed name up by, best first. Users stored before preparation were
/// keyed by plain lowercase (`legacy_key`). Where that differs from the prepared key the text
/// was not in prepared form (fullwidth, NFD), so no user created since has that key: it comes
/// second, for the users stored before. Callers query every key, found or not, so the cost
/// does not tell whether the first one matched.
pub fn lookup_keys(pool: &Pool, raw: &str, who: Lookup) -> Vec<String> {
    let legacy = legacy_key(pool, raw);
    match (lookup_key(pool, raw), who) {
        (Some(key), _) if key == legacy => vec![key],
        (Some(key), _) => vec![key, legacy],
        (None, Lookup::Anyone) => vec![login_key(pool, raw)],
        (None, Lookup::Admin) => vec![legacy],
    }
}

/// The key of a stored name or of a filter value: prepared where it can be, else the key
/// such a name had before preparation, so a filter still finds users stored back then.
pub fn key_or_legacy(pool: &Pool, value: &str) -> String {
    lookup_key(pool, value).unwrap_or_else(|| legacy_key(pool, value))
}

/// The key as it was before RFC 8265 preparation: lowercase unless the pool is case sensitive.
/// For ASCII names it is the prepared key.
pub fn legacy_key(pool: &Pool, value: &str) -> String {
    if pool.config.case_sensitive_usernames {
        value.to_string()
    } else {
        value.to_lowercase()
    }
}

fn checked(field: &str, raw: &str, shape: Shape) -> Result<String> {
    if raw.is_empty() {
        return Err(Error::validation(field, "must not be empty"));
    }
    let display = display(raw, shape).map_err(|e| Error::validation(field, refusal(e)))?;
    // The house rules for names too: no zero-width joiners (which RFC 8265 allows after a
    // virama), nothing over the length limit.
    text::name(field, &display, max_len(shape))?;
    if let Some(scripts) = parts(&display, shape).find_map(mixed_scripts) {
        return Err(Error::validation(
            field,
            format!(
                "mixes the {scripts} scripts, so it can look like another name; use one \
                 script (Latin may go with Han, Hiragana and Katakana, with Han and Bopomofo, \
                 or with Han and Hangul: UTS #39 Highly Restrictive)"
            ),
        ));
    }
    Ok(display)
}

fn max_len(shape: Shape) -> usize {
    match shape {
        Shape::Name => MAX_CHARS,
        Shape::Email => 254,
    }
}

fn prepared_key(raw: &str, case: Case, shape: Shape) -> Option<String> {
    if raw.is_empty() || raw.len() > MAX_LOOKUP_BYTES {
        return None;
    }
    let display = display(raw, shape).ok()?;
    key(&display, case, shape).ok()
}

/// UsernameCasePreserved enforcement: width mapping, the IdentifierClass repertoire, NFC and
/// the bidi rule, per part.
fn display(raw: &str, shape: Shape) -> std::result::Result<String, PrecisError> {
    // Width first, so that a fullwidth ＠ or ． separates parts as the ASCII one does.
    let raw = UsernameCasePreserved::new().width_mapping_rule(raw)?;
    map_parts(&raw, shape, |part| {
        <UsernameCasePreserved as PrecisFastInvocation>::enforce(part).map(Cow::into_owned)
    })
}

/// UsernameCaseMapped enforcement of a prepared name. std's `to_lowercase` goes first: it is
/// the full Unicode toLowerCase the RFC asks for (with Final_Sigma), where the crate maps
/// each character alone and would key `ΟΔΟΣ` apart from `οδος`.
fn key(display: &str, case: Case, shape: Shape) -> std::result::Result<String, PrecisError> {
    match case {
        Case::Preserved => Ok(display.to_string()),
        Case::Mapped => map_parts(display, shape, |part| {
            <UsernameCaseMapped as PrecisFastInvocation>::enforce(part.to_lowercase())
                .map(Cow::into_owned)
        }),
    }
}

/// A name whole, or an address as its local part and domain labels.
fn parts(value: &str, shape: Shape) -> impl Iterator<Item = &str> {
    let (local, domain) = match (shape, value.rsplit_once('@')) {
        (Shape::Email, Some((local, domain))) => (local, Some(domain)),
        _ => (value, None),
    };
    std::iter::once(local).chain(domain.into_iter().flat_map(|d| d.split('.')))
}

fn map_parts<E>(
    value: &str,
    shape: Shape,
    mut prepare: impl FnMut(&str) -> std::result::Result<String, E>,
) -> std::result::Result<String, E> {
    match (shape, value.rsplit_once('@')) {
        (Shape::Email, Some((local, domain))) => {
            let mut out = prepare(local)?;
            out.push('@');
            for (i, label) in domain.split('.').enumerate() {
                if i > 0 {
                    out.push('.');
                }
                out.push_str(&prepare(label)?);
            }
            Ok(out)
        }
        _ => prepare(value),
    }
}

/// UTS #39 §5.2's Highly Restrictive level, for scripts: one script (Common and Inherited
/// characters such as digits and `.` go with any), or Latin with the Japanese, Korean or
/// Han-with-Bopomofo augmented sets. Its repertoire half is RFC 8265's IdentifierClass here,
/// so a name in any single script passes. Returns the scripts of a refused name.
fn mixed_scripts(part: &str) -> Option<String> {
    let latin = AugmentedScriptSet::for_char('a');
    let mut all = AugmentedScriptSet::default();
    let mut beside_latin = AugmentedScriptSet::default();
    for c in part.chars() {
        let set = AugmentedScriptSet::for_char(c);
        all.intersect_with(set);
        let mut with_latin = set;
        with_latin.intersect_with(latin);
        if with_latin.is_empty() {
            beside_latin.intersect_with(set);
        }
    }
    if !all.is_empty() || beside_latin.jpan || beside_latin.kore || beside_latin.hanb {
        return None;
    }
    let mut names: Vec<&str> = Vec::new();
    for c in part.chars() {
        let set = AugmentedScriptSet::for_char(c);
        if let Some(script) = set.base.iter().next().filter(|_| !set.is_all())
            && !names.contains(&script.full_name())
        {
            names.push(script.full_name());
        }
    }
    names.sort_unstable();
    Some(match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.concat(),
    })
}

fn refusal(err: PrecisError) -> String {
    match err {
        PrecisError::BadCodepoint(info) => match char::from_u32(info.cp) {
            Some(c) if c.is_whitespace() => "must not contain whitespace".into(),
            _ => format!(
                "must not contain U+{:04X}: a username is letters, digits and visible ASCII \
                 punctuation (RFC 8265), without spaces, invisible, control, symbol or \
                 compatibility characters",
                info.cp
            ),
        },
        // The only other refusal of a non-empty name is the bidi rule (RFC 5893).
        PrecisError::Invalid => "must not mix right-to-left and left-to-right text, which \
                                 can display as another name (RFC 5893)"
            .into(),
        PrecisError::Unexpected(_) => "cannot be prepared as an RFC 8265 username".into(),
    }
}

#[cfg(test)]
mod tests;
