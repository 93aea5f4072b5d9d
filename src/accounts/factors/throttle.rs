//! Throttles on guessing: failed sign-ins and wrong codes lock counters that grow with each
//! further failure. (Rate limits on what costs someone else or us are `rates`.)
//!
//! An attempt is counted *before* the expensive check, so parallel requests cannot all pass
//! a limit that each of them read as not reached (the race an attacker found). Counting costs
//! a write, and most sign-ins are for names without failures, so the first attempt of a name
//! with nothing on record and nothing in flight in this process is evaluated without one;
//! any attempt beside it reserves in the database. Within a process that is exact; across
//! processes sharing a database each can let one such first attempt through at a time.
//!
//! Locks are per (name, address) first, so one address cannot lock a name everywhere; per
//! name and per account slower and higher; per address for sprays over many names; and a
//! browser that has signed in as the account before (a signed device cookie) is not subject
//! to the per-name locks at all, only to its own (OWASP's device cookies).

use std::net::IpAddr;

use crate::clock::Millis;
use crate::context::Context;
use crate::error::Result;
use crate::store::throttle::{self as store, CounterKey, LockSchedule};

const SECOND: Millis = 1_000;
const MINUTE: Millis = 60 * SECOND;

/// 30 s, doubling to 15 minutes.
const FAST_LOCKS: [Millis; 6] = [
    30 * SECOND,
    MINUTE,
    2 * MINUTE,
    4 * MINUTE,
    8 * MINUTE,
    15 * MINUTE,
];

/// A lockout counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lock {
    /// A typed name from one address: the first to lock.
    NameAtAddress,
    /// A typed name from anywhere: higher, so one address alone cannot reach it.
    Name,
    /// The account the name resolved to from one address: email and sub are one account.
    AccountAtAddress,
    /// The account from anywhere.
    Account,
    /// Every name from one address: a password spray.
    Address,
    /// A browser with a device cookie for the account: its own limit instead of the above.
    Device,
    /// The same for verification and reset codes.
    CodeNameAtAddress,
    CodeName,
    CodeAccountAtAddress,
    CodeAccount,
    CodeAddress,
    /// Second-factor codes, per account and address, per account, per address.
    MfaAccountAtAddress,
    MfaAccount,
    MfaAddress,
}

/// Failures of one name from one address before it locks.
pub const NAME_AT_ADDRESS_THRESHOLD: i64 = 5;
/// Failures of one name, or one account, from all addresses together.
pub const NAME_THRESHOLD: i64 = 20;
/// Failures from one address, any names: a shared office address stays usable.
pub const ADDRESS_THRESHOLD: i64 = 100;
/// Failures from one device cookie.
pub const DEVICE_THRESHOLD: i64 = 5;

impl Lock {
    fn kind(self) -> &'static str {
        match self {
            Lock::NameAtAddress => "signin.name@address",
            Lock::Name => "signin.name",
            Lock::AccountAtAddress => "signin.account@address",
            Lock::Account => "signin.account",
            Lock::Address => "signin.address",
            Lock::Device => "signin.device",
            Lock::CodeNameAtAddress => "code.name@address",
            Lock::CodeName => "code.name",
            Lock::CodeAccountAtAddress => "code.account@address",
            Lock::CodeAccount => "code.account",
            Lock::CodeAddress => "code.address",
            Lock::MfaAccountAtAddress => "mfa.account@address",
            Lock::MfaAccount => "mfa.account",
            Lock::MfaAddress => "mfa.address",
        }
    }

    pub fn schedule(self) -> LockSchedule {
        let threshold = match self {
            Lock::NameAtAddress
            | Lock::AccountAtAddress
            | Lock::CodeNameAtAddress
            | Lock::CodeAccountAtAddress
            | Lock::MfaAccountAtAddress => NAME_AT_ADDRESS_THRESHOLD,
            Lock::Name | Lock::Account | Lock::CodeName | Lock::CodeAccount | Lock::MfaAccount => {
                NAME_THRESHOLD
            }
            Lock::Address | Lock::CodeAddress | Lock::MfaAddress => ADDRESS_THRESHOLD,
            Lock::Device => DEVICE_THRESHOLD,
        };
        LockSchedule {
            threshold,
            window_ms: 15 * MINUTE,
            locks: FAST_LOCKS,
        }
    }

    /// A success forgets a name's or account's failures, but an address only gets back the
    /// hit its own attempt added: one good sign-in must not clear a spray.
    fn forgotten_on_success(self) -> bool {
        !matches!(self, Lock::Address | Lock::CodeAddress | Lock::MfaAddress)
    }
}

/// One counter an attempt is held against.
#[derive(Debug, Clone)]
pub struct Subject {
    pub lock: Lock,
    pub value: String,
}

impl Subject {
    pub fn new(lock: Lock, value: impl Into<String>) -> Self {
        Self {
            lock,
            value: value.into(),
        }
    }

    /// `value` from `address`; the address comes first and has no spaces, so the pair is
    /// unambiguous whatever the value holds.
    pub fn at(lock: Lock, address: Option<IpAddr>, value: &str) -> Self {
        let address = address.map_or_else(|| "-".to_string(), |a| a.to_string());
        Self::new(lock, format!("{address} {value}"))
    }

    fn key(&self) -> CounterKey {
        CounterKey {
            kind: self.lock.kind(),
            subject: self.value.clone(),
        }
    }
}

struct Held {
    subject: Subject,
    key: CounterKey,
    reserved: bool,
    /// The count the reservation returned.
    hits: i64,
}

/// An attempt admitted by every counter it is held against. Settle it with `succeeded`,
/// `failed` or `abandoned`; one dropped unsettled stays counted as a failure where it was
/// reserved, and is only forgotten where it was not.
#[must_use]
pub struct Attempt<'a> {
    ctx: &'a Context,
    scope: String,
    held: Vec<Held>,
    settled: bool,
}

/// Admits an attempt against `subjects` (in `scope`, usually the pool), or `None` when any
/// of them is locked or its limit is reached.
pub async fn begin<'a>(
    ctx: &'a Context,
    scope: &str,
    subjects: Vec<Subject>,
) -> Result<Option<Attempt<'a>>> {
    let mut attempt = Attempt {
        ctx,
        scope: scope.to_string(),
        held: Vec::with_capacity(subjects.len()),
        settled: false,
    };
    for subject in subjects {
        let key = subject.key();
        let alone = ctx.in_flight.enter(&(scope.to_string(), key.clone()));
        attempt.held.push(Held {
            subject,
            key,
            reserved: !alone,
            hits: 0,
        });
    }
    let keys: Vec<CounterKey> = attempt.held.iter().map(|h| h.key.clone()).collect();
    let rows = match store::read(&ctx.store, scope, &keys).await {
        Ok(rows) => rows,
        Err(err) => {
            attempt.leave();
            return Err(err.into());
        }
    };
    let now = ctx.now();
    let mut locked = false;
    for held in &mut attempt.held {
        let schedule = held.subject.lock.schedule();
        let row = rows
            .iter()
            .find(|r| r.kind == held.key.kind && r.subject == held.key.subject)
            .filter(|r| r.updated_at >= now - schedule.window_ms);
        if let Some(row) = row {
            locked |= row.locked_until.is_some_and(|t| t > now);
            if !held.reserved && row.hits > 0 {
                // Failures on record: this one is counted like any other.
                held.reserved = true;
                ctx.in_flight
                    .reserve_instead(&(scope.to_string(), held.key.clone()));
            }
        }
    }
    if locked {
        attempt.leave();
        return Ok(None);
    }
    let to_reserve: Vec<(CounterKey, LockSchedule)> = attempt
        .held
        .iter()
        .filter(|h| h.reserved)
        .map(|h| (h.key.clone(), h.subject.lock.schedule()))
        .collect();
    if to_reserve.is_empty() {
        return Ok(Some(attempt));
    }
    let counts = match store::reserve(&ctx.store, scope, &to_reserve, now).await {
        Ok(counts) => counts,
        Err(err) => {
            attempt.leave();
            return Err(err.into());
        }
    };
    let mut refused = false;
    for ((key, schedule), hits) in to_reserve.iter().zip(&counts) {
        // The statement refuses a locked counter and locks it itself at the threshold; an
        // attempt in flight here without a reservation is one more hit it cannot see. (That
        // one only exists while the counter was clean, so after a lock has run out, the
        // next attempt is let through as it should be.)
        let unseen = ctx
            .in_flight
            .unreserved_others(&(scope.to_string(), key.clone()));
        match hits {
            Some(hits) if unseen == 0 || hits + unseen <= schedule.threshold => {}
            _ => refused = true,
        }
    }
    let mut reserved = attempt.held.iter_mut().filter(|h| h.reserved);
    for hits in &counts {
        if let Some(held) = reserved.next() {
            held.hits = hits.unwrap_or(0);
        }
    }
    if refused {
        // Only attempts that are evaluated count: give back what this one reserved.
        let give_back: Vec<(CounterKey, LockSchedule)> = to_reserve
            .into_iter()
            .zip(counts)
            .filter_map(|(pair, hits)| hits.map(|_| pair))
            .collect();
        attempt.leave();
        store::settle(&ctx.store, scope, &[], &give_back).await?;
        return Ok(None);
    }
    Ok(Some(attempt))
}

impl Attempt<'_> {
    fn leave(&mut self) {
        self.settled = true;
        for held in &self.held {
            self.ctx
                .in_flight
                .leave(&(self.scope.clone(), held.key.clone()), !held.reserved);
        }
    }

    /// The check passed: names and accounts forget their failures, addresses get back the
    /// hit this attempt reserved.
    pub async fn succeeded(mut self) -> Result<()> {
        let forget: Vec<CounterKey> = self
            .held
            .iter()
            .filter(|h| h.subject.lock.forgotten_on_success() && h.reserved)
            .map(|h| h.key.clone())
            .collect();
        let give_back: Vec<(CounterKey, LockSchedule)> = self
            .held
            .iter()
            .filter(|h| !h.subject.lock.forgotten_on_success() && h.reserved)
            .map(|h| (h.key.clone(), h.subject.lock.schedule()))
            .collect();
        let result = store::settle(&self.ctx.store, &self.scope, &forget, &give_back).await;
        self.leave();
        Ok(result?)
    }

    /// The check failed: reserved counters already hold the hit; the others get it now.
    pub async fn failed(mut self) -> Result<()> {
        let unreserved: Vec<(CounterKey, LockSchedule)> = self
            .held
            .iter()
            .filter(|h| !h.reserved)
            .map(|h| (h.key.clone(), h.subject.lock.schedule()))
            .collect();
        let result = if unreserved.is_empty() {
            Ok(Vec::new())
        } else {
            store::record(&self.ctx.store, &self.scope, &unreserved, self.ctx.now()).await
        };
        self.leave();
        let recorded = result?;
        let mut recorded = recorded.iter();
        for held in &self.held {
            let hits = if held.reserved {
                held.hits
            } else {
                recorded.next().copied().flatten().unwrap_or(0)
            };
            if hits >= held.subject.lock.schedule().threshold {
                // The kind names the counter; the subject (a name, an address) stays out.
                tracing::warn!(
                    scope = %self.scope,
                    kind = held.key.kind,
                    failures = hits,
                    "locked after repeated failures"
                );
            }
        }
        Ok(())
    }

    /// Nothing was evaluated (the service was busy, or the input could not be checked):
    /// the attempt does not count.
    pub async fn abandoned(mut self) -> Result<()> {
        let give_back: Vec<(CounterKey, LockSchedule)> = self
            .held
            .iter()
            .filter(|h| h.reserved)
            .map(|h| (h.key.clone(), h.subject.lock.schedule()))
            .collect();
        let result = store::settle(&self.ctx.store, &self.scope, &[], &give_back).await;
        self.leave();
        Ok(result?)
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if !self.settled {
            self.leave();
        }
    }
}
