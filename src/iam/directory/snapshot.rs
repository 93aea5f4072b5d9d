//! The whole IAM state as of one read: principals, their policies, keys and the root key,
//! with each principal's policies in evaluation order worked out once.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::clock::Millis;
use crate::crypto::sealed::MasterKey;
use crate::iam::directory::secrets::open_secret;
use crate::iam::managed;
use crate::iam::policy::{MANAGED_MAX, Policy, ROLE_INLINE_MAX, TrustPolicy};
use crate::store::iam as store;

pub struct AccessKey {
    pub id: String,
    pub user: String,
    pub secret: String,
    pub active: bool,
    pub expires_at: Option<Millis>,
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKey")
            .field("id", &self.id)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// A user, group or role: its policies and, for users and groups, its memberships.
#[derive(Debug, Default)]
pub struct Entity {
    pub created_at: Millis,
    /// Attached policy names (built-in or customer-managed).
    pub attached: Vec<String>,
    /// Inline policies: name, document as stored, and the parsed form.
    pub inline: Vec<(String, String, Option<Arc<Policy>>)>,
    /// A user's groups, or a group's members.
    pub related: Vec<String>,
}

#[derive(Debug)]
pub struct Role {
    pub entity: Entity,
    pub trust_text: String,
    pub trust: Option<TrustPolicy>,
    pub max_session_duration: i64,
}

#[derive(Debug)]
pub struct StoredPolicy {
    pub managed: bool,
    pub description: Option<String>,
    pub text: String,
    pub policy: Option<Arc<Policy>>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug)]
pub struct Root {
    pub digest: String,
    pub disabled: bool,
}

/// Everything as of one read.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub(super) loaded_at: Millis,
    pub(super) generation: u64,
    pub root: Option<Root>,
    pub keys: HashMap<String, AccessKey>,
    pub users: BTreeMap<String, Entity>,
    pub groups: BTreeMap<String, Entity>,
    pub roles: BTreeMap<String, Role>,
    pub policies: BTreeMap<String, StoredPolicy>,
    /// Each user's and role's identity policies in evaluation order, worked out once per
    /// snapshot rather than per request.
    user_applied: HashMap<String, Vec<Named>>,
    role_applied: HashMap<String, Vec<Named>>,
}

/// A policy as it applies, with the name a decision reports: an attached policy by its
/// name, an inline one as `<kind>/<principal>/<policy>`.
pub type Named = (String, Arc<Policy>);

fn entity(created_at: Millis) -> Entity {
    Entity {
        created_at,
        ..Default::default()
    }
}

/// A stored document, parsed; one that no longer parses grants nothing (and says so).
fn readable(name: &str, text: &str, max: usize) -> Option<Arc<Policy>> {
    Policy::parse(text, max)
        .map(Arc::new)
        .map_err(|e| tracing::warn!(policy = %name, error = %e, "stored policy unreadable; it grants nothing"))
        .ok()
}

impl Snapshot {
    /// Everything in `rows`, as of `now` and the directory's `generation`; secrets are
    /// opened with `master`.
    pub(super) fn build(
        rows: store::Everything,
        master: &MasterKey,
        now: Millis,
        generation: u64,
    ) -> Snapshot {
        let mut snapshot = Snapshot {
            loaded_at: now,
            generation,
            root: rows.root.map(|r| Root {
                digest: r.key_hash,
                disabled: r.disabled_at.is_some(),
            }),
            ..Default::default()
        };
        for row in rows.users {
            snapshot.users.insert(row.name, entity(row.created_at));
        }
        for row in rows.groups {
            snapshot.groups.insert(row.name, entity(row.created_at));
        }
        for row in rows.members {
            if let Some(user) = snapshot.users.get_mut(&row.user_name) {
                user.related.push(row.group_name.clone());
            }
            if let Some(group) = snapshot.groups.get_mut(&row.group_name) {
                group.related.push(row.user_name);
            }
        }
        for row in rows.roles {
            let trust = TrustPolicy::parse(&row.trust_policy)
                .map_err(|e| tracing::warn!(role = %row.name, error = %e, "stored trust policy unreadable; nobody may assume the role"))
                .ok();
            snapshot.roles.insert(
                row.name,
                Role {
                    entity: entity(row.created_at),
                    trust_text: row.trust_policy,
                    trust,
                    max_session_duration: row.max_session_duration,
                },
            );
        }
        for row in rows.policies {
            let (text, policy) = if row.managed {
                match managed::MANAGED.iter().find(|(n, _)| *n == row.name) {
                    Some((_, text)) => {
                        (text.to_string(), managed::managed(&row.name).map(Arc::new))
                    }
                    None => continue,
                }
            } else {
                let text = row.document.unwrap_or_default();
                let policy = readable(&row.name, &text, MANAGED_MAX);
                (text, policy)
            };
            snapshot.policies.insert(
                row.name,
                StoredPolicy {
                    managed: row.managed,
                    description: row.description,
                    text,
                    policy,
                    created_at: row.created_at,
                    updated_at: row.updated_at,
                },
            );
        }
        for row in rows.principal_policies {
            let holder = match row.kind.as_str() {
                "user" => snapshot.users.get_mut(&row.principal),
                "group" => snapshot.groups.get_mut(&row.principal),
                "role" => snapshot
                    .roles
                    .get_mut(&row.principal)
                    .map(|r| &mut r.entity),
                _ => None,
            };
            let Some(holder) = holder else { continue };
            match row.document {
                None => holder.attached.push(row.policy_name),
                Some(text) => {
                    // Each kind's own limit was checked on the way in; the largest bounds all.
                    let policy = readable(&row.policy_name, &text, ROLE_INLINE_MAX);
                    holder.inline.push((row.policy_name, text, policy));
                }
            }
        }
        for entity in snapshot
            .users
            .values_mut()
            .chain(snapshot.groups.values_mut())
            .chain(snapshot.roles.values_mut().map(|r| &mut r.entity))
        {
            entity.attached.sort();
            entity.inline.sort_by(|a, b| a.0.cmp(&b.0));
            entity.related.sort();
        }
        snapshot.user_applied = snapshot
            .users
            .keys()
            .map(|name| (name.clone(), snapshot.gather_user(name)))
            .collect();
        snapshot.role_applied = snapshot
            .roles
            .keys()
            .map(|name| (name.clone(), snapshot.gather_role(name)))
            .collect();
        for row in rows.keys {
            let Some(secret) = open_secret(master, &row.secret_sealed, &row.id) else {
                tracing::warn!(access_key_id = %row.id, "an access key's secret does not open; the key is refused");
                continue;
            };
            snapshot.keys.insert(
                row.id.clone(),
                AccessKey {
                    id: row.id,
                    user: row.user_name,
                    secret,
                    active: row.status == "Active",
                    expires_at: row.expires_at,
                },
            );
        }
        snapshot
    }

    /// The identity policies of an entity: its attached, then its inline policies.
    fn policies_of(&self, kind: &str, name: &str, entity: &Entity, out: &mut Vec<Named>) {
        for attached in &entity.attached {
            if let Some(policy) = self.policies.get(attached).and_then(|p| p.policy.as_ref()) {
                out.push((attached.clone(), policy.clone()));
            }
        }
        for (inline, _, policy) in &entity.inline {
            if let Some(policy) = policy {
                out.push((format!("{kind}/{name}/{inline}"), policy.clone()));
            }
        }
    }

    fn gather_user(&self, user: &str) -> Vec<Named> {
        let mut out = Vec::new();
        if let Some(entity) = self.users.get(user) {
            self.policies_of("user", user, entity, &mut out);
            for group in &entity.related {
                if let Some(g) = self.groups.get(group) {
                    self.policies_of("group", group, g, &mut out);
                }
            }
        }
        out
    }

    fn gather_role(&self, role: &str) -> Vec<Named> {
        let mut out = Vec::new();
        if let Some(r) = self.roles.get(role) {
            self.policies_of("role", role, &r.entity, &mut out);
        }
        out
    }

    /// Every identity policy of a user: its own, then its groups'.
    pub fn user_policies(&self, user: &str) -> &[Named] {
        self.user_applied.get(user).map_or(&[], Vec::as_slice)
    }

    /// A role's identity policies.
    pub fn role_policies(&self, role: &str) -> &[Named] {
        self.role_applied.get(role).map_or(&[], Vec::as_slice)
    }
}
