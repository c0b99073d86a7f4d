//! Items (issue 20, docs/ITEMS.md): the public stolen-item check. Anonymous callers are
//! counted per IP address (hashed with the minute's window into the counter's key, and
//! forgotten with it), a registered client (a partner's machine token: a bicycle shop, a
//! pawnbroker) per client; each answered check is counted per day, kind and answer,
//! without the address or the identifier.

use super::backoffice::{consultation, record_all_in, record_in, record_within};
use super::with_db;
use crate::error::{ApiError, FieldError};
use crate::state::AppState;
use actix_web::{web, HttpRequest};
use domain::filing::Holder;
use domain::identifiers::{is_placeholder, normalise, IdentifierError, IdentifierKind};
use domain::items::links::{Cluster, Link};
use domain::items::matching::{score, MatchSettings, Outcome};
use domain::items::{check_verdict, CheckVerdict, ItemRole};
use domain::policy::OfficerActor;

/// The rate-limit policy, key and quota of a check's caller: a verified machine token's
/// client, or the IP address. A token that does not verify is 401.
async fn quota(
    state: &web::Data<AppState>,
    req: &HttpRequest,
) -> Result<(&'static str, String, u32), ApiError> {
    if req
        .headers()
        .contains_key(actix_web::http::header::AUTHORIZATION)
    {
        let token = crate::auth::bearer(req)?;
        let identity = state.verifier.verify_fetching(&token).await?;
        if let (true, Some(client)) = (identity.machine, identity.client_id) {
            return Ok((
                "item_check_client",
                format!("item-check-client:{client}"),
                state.items.check_per_minute_per_client,
            ));
        }
    }
    Ok((
        "item_check_ip",
        super::ratelimit::address_key(state, req, "item-check-ip"),
        state.items.check_per_minute_per_ip,
    ))
}

/// The field error of an identifier that does not validate.
fn invalid(error: &IdentifierError) -> ApiError {
    let code = match error {
        IdentifierError::Empty => "empty",
        _ => "invalid_identifier",
    };
    ApiError::Validation(vec![FieldError::new("/identifier", code)])
}

/// Is the object identified by `typed` (a `kind` identifier) reported stolen? Counted
/// against the caller's quota first, then validated, looked up and counted.
///
/// # Errors
/// 429 over the quota; 422 an identifier that does not validate, or a placeholder
/// (`domain::identifiers::is_placeholder`); 401 a bad token.
pub async fn check(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    kind: IdentifierKind,
    typed: String,
) -> Result<CheckVerdict, ApiError> {
    let quota = quota(state, req).await?;
    super::ratelimit::count(state, req, quota).await?;
    let identifier = normalise(kind, &typed, None).map_err(|e| invalid(&e))?;
    // "unknown", "0000": not the identifier of one object (never indexed either).
    if is_placeholder(&identifier.normalised) {
        return Err(invalid(&IdentifierError::BadFormat));
    }
    with_db(state, move |conn| {
        let found = persistence::items::reported(conn, &identifier.normalised)?;
        let verdict = check_verdict(&found);
        let outcome = if verdict.reported {
            "reported"
        } else {
            "not_reported"
        };
        persistence::items::count_check(conn, kind, outcome, chrono::Utc::now())?;
        Ok(verdict)
    })
    .await
}

/// The filing `id` of `unit`, or 404.
fn in_unit(
    conn: &mut persistence::DbConnection,
    unit: &str,
    id: &str,
) -> Result<domain::filing::Filing, ApiError> {
    persistence::filings::find_in_unit(conn, unit, id)?.ok_or_else(|| not_in_unit(unit, id))
}

/// 404: `unit` holds no filing `id`.
fn not_in_unit(unit: &str, id: &str) -> ApiError {
    ApiError::UnitFilingNotFound {
        id: id.to_owned(),
        unit: unit.to_owned(),
    }
}

/// Audits the consultation of `object` of filing `id`, and of each other unit's filing
/// it revealed the existence of (`linked_filing`), all or none (`record_all_in`).
fn audit_reads(
    conn: &mut persistence::DbConnection,
    officer: &OfficerActor,
    unit: &str,
    (object, id): (&str, &str),
    revealed: &[String],
    request_id: Option<String>,
) -> Result<(), ApiError> {
    let events: Vec<_> = std::iter::once((object, id))
        .chain(
            revealed
                .iter()
                .map(|other| ("linked_filing", other.as_str())),
        )
        .map(|(object, id)| consultation(officer, unit, (object, Some(id)), request_id.clone()))
        .collect();
    record_all_in(conn, &events, officer.name.as_deref())
}

/// The filings linked to filing `id` of `unit`, as `officer` may see them; the
/// consultation is audited, with each other unit's filing it shows exists.
///
/// # Errors
/// 404 when the filing is not the unit's; the database.
pub async fn links(
    state: &web::Data<AppState>,
    officer: &OfficerActor,
    unit: &str,
    id: &str,
    request_id: Option<String>,
) -> Result<Vec<Link>, ApiError> {
    let (officer, unit, id) = (officer.clone(), unit.to_owned(), id.to_owned());
    with_db(state, move |conn| {
        let rows = persistence::items::shared_in_unit(conn, &unit, &id)?
            .ok_or_else(|| not_in_unit(&unit, &id))?;
        let links = domain::items::links::links(&officer, rows);
        let revealed: Vec<String> = links
            .iter()
            .filter(|l| matches!(l, Link::Restricted { .. }))
            .map(|l| l.filing_id().to_owned())
            .collect();
        audit_reads(
            conn,
            &officer,
            &unit,
            ("filing_links", &id),
            &revealed,
            request_id,
        )?;
        Ok(links)
    })
    .await
}

/// The unit's clusters: identifiers shared by at least `min` filings, one of them the
/// unit's, with counts per unit. Audited as a consultation.
///
/// # Errors
/// The database.
pub async fn clusters(
    state: &web::Data<AppState>,
    officer: &OfficerActor,
    unit: &str,
    min: usize,
    request_id: Option<String>,
) -> Result<Vec<Cluster>, ApiError> {
    let (officer, unit) = (officer.clone(), unit.to_owned());
    with_db(state, move |conn| {
        let rows = persistence::items::cluster_rows(conn, &unit)?;
        let clusters = domain::items::links::clusters(rows, min);
        let event = consultation(&officer, &unit, ("link_clusters", Some(&unit)), request_id);
        record_in(conn, &event, officer.name.as_deref())?;
        Ok(clusters)
    })
    .await
}

/// A matching candidate for one of a filing's items.
#[derive(Debug, Clone)]
pub struct Proposal {
    /// The position of the filing's item.
    pub position: i32,
    pub candidate: persistence::items::StoredItem,
    pub outcome: Outcome,
    /// Whether the candidate's filing is in one of the officer's units.
    pub visible: bool,
    /// Whether the filing's item is the found one (the candidate lost or stolen).
    pub found_probe: bool,
    /// The unit of the filing's item.
    pub probe_unit: Option<String>,
}

/// The most candidates proposed for one filing.
pub const MAX_PROPOSALS: usize = 20;

/// Scores the items of a filing against the open items of the other side (a found
/// object against lost and stolen ones, and the reverse), best first.
pub fn proposals(
    conn: &mut persistence::DbConnection,
    officer: Option<&OfficerActor>,
    settings: &MatchSettings,
    filing: &str,
) -> Result<Vec<Proposal>, ApiError> {
    let mut out = Vec::new();
    // An object already handed back is matched no more, on either side.
    for item in persistence::items::items_waiting(conn, filing)? {
        let found = match item.role.parse::<ItemRole>() {
            Ok(ItemRole::Found) => true,
            Ok(ItemRole::Lost | ItemRole::Stolen) => false,
            _ => continue,
        };
        let roles: &[&str] = if found {
            &["lost", "stolen"]
        } else {
            &["found"]
        };
        let candidates =
            persistence::items::candidates(conn, roles, &item.sighting, found, settings)?;
        for candidate in candidates {
            if candidate.filing_id == filing {
                continue;
            }
            let (lost, found_one) = if found {
                (&candidate.sighting, &item.sighting)
            } else {
                (&item.sighting, &candidate.sighting)
            };
            if let Some(outcome) = score(lost, found_one, settings) {
                let visible = match (officer, candidate.unit.as_deref()) {
                    (Some(officer), Some(unit)) => {
                        domain::policy::officer_may_access_unit(officer, unit)
                    }
                    _ => false,
                };
                out.push(Proposal {
                    position: item.position,
                    candidate,
                    outcome,
                    visible,
                    found_probe: found,
                    probe_unit: item.unit.clone(),
                });
            }
        }
    }
    out.sort_by(|a, b| b.outcome.score.total_cmp(&a.outcome.score));
    out.truncate(MAX_PROPOSALS);
    Ok(out)
}

/// The matching candidates of filing `id` of `unit` (a lost, stolen or found object's);
/// audited, with each other unit's filing it shows exists.
///
/// # Errors
/// 404 when the filing is not the unit's; the database.
pub async fn matches(
    state: &web::Data<AppState>,
    officer: &OfficerActor,
    unit: &str,
    id: &str,
    request_id: Option<String>,
) -> Result<Vec<Proposal>, ApiError> {
    let (officer, unit, id) = (officer.clone(), unit.to_owned(), id.to_owned());
    let settings = state.items.matching;
    with_db(state, move |conn| {
        let filing = in_unit(conn, &unit, &id)?;
        let proposals = proposals(conn, Some(&officer), &settings, &filing.id)?;
        let revealed: Vec<String> = proposals
            .iter()
            .filter(|p| !p.visible)
            .map(|p| p.candidate.filing_id.clone())
            .collect();
        audit_reads(
            conn,
            &officer,
            &unit,
            ("filing_matches", &id),
            &revealed,
            request_id,
        )?;
        Ok(proposals)
    })
    .await
}

/// Tells the owners of the lost or stolen objects that the just-submitted filing `id`
/// may concern (a found object matching theirs, or their new declaration matching a
/// found object) through the outbox, once per pair: the certain matches and those
/// scoring at least `notify_threshold`. The finder is never named, only the unit of the
/// found object. In the submission's transaction.
///
/// # Errors
/// The database.
pub fn notify_owners(
    conn: &mut persistence::DbConnection,
    settings: &MatchSettings,
    id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize, ApiError> {
    let mut told = 0;
    for p in proposals(conn, None, settings, id)? {
        if !(p.outcome.certain || p.outcome.score >= settings.notify_threshold) {
            continue;
        }
        let (lost, found, held_by) = if p.found_probe {
            (p.candidate.filing_id.as_str(), id, p.probe_unit.as_deref())
        } else {
            (
                id,
                p.candidate.filing_id.as_str(),
                p.candidate.unit.as_deref(),
            )
        };
        if persistence::items::notify_owner(conn, lost, found, held_by, now)? {
            told += 1;
        }
    }
    Ok(told)
}

fn has_role(items: &[persistence::items::StoredItem], roles: &[ItemRole]) -> bool {
    items
        .iter()
        .any(|i| i.role.parse::<ItemRole>().is_ok_and(|r| roles.contains(&r)))
}

/// The officer of the unit holding the found object of filing `found` hands it back to
/// the owner of the lost or stolen filing `lost`, one of the object's current candidates
/// ([`hand_back_in`]). Returns how many items were marked.
///
/// # Errors
/// 404 when `found` is not a found object of the unit; 409 `not_a_candidate` when `lost`
/// is not one of its current candidates; the database.
pub async fn hand_back(
    state: &web::Data<AppState>,
    officer: &OfficerActor,
    unit: &str,
    found: &str,
    lost: &str,
    request_id: Option<String>,
) -> Result<usize, ApiError> {
    let (officer, unit, found, lost) = (
        officer.clone(),
        unit.to_owned(),
        found.to_owned(),
        lost.to_owned(),
    );
    let settings = state.items.matching;
    with_db(state, move |conn| {
        conn.write_transaction(|c| {
            let filing = in_unit(c, &unit, &found)?;
            let not_found = |id: &str| ApiError::UnitFilingNotFound {
                id: id.to_owned(),
                unit: unit.clone(),
            };
            let holder = Holder::Officer {
                officer: &officer,
                unit: &unit,
            };
            let handed = HandBackOf {
                found: &filing,
                lost: Named::Id(&lost),
            };
            hand_back_in(
                c,
                (holder, &settings),
                handed,
                &not_found,
                officer.name.as_deref(),
                request_id,
            )
        })
    })
    .await
}

/// How the holder names the owner's declaration: by its id (an officer, who sees it in
/// the matches) or by its reference (a lost-property office, from the owner's
/// acknowledgement).
#[derive(Debug, Clone, Copy)]
pub(super) enum Named<'a> {
    Id(&'a str),
    Reference(&'a str),
}

impl Named<'_> {
    fn is(&self, candidate: &persistence::items::StoredItem) -> bool {
        match self {
            Named::Id(id) => candidate.filing_id == *id,
            // A reference as typed from the owner's acknowledgement: case and spaces
            // around it do not matter.
            Named::Reference(reference) => candidate
                .reference
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case(reference.trim())),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            Named::Id(text) | Named::Reference(text) => text,
        }
    }
}

/// The two filings of a hand-back: the found object's (already checked to be the
/// holder's) and the owner's declaration, as the holder named it.
pub(super) struct HandBackOf<'a> {
    pub found: &'a domain::filing::Filing,
    pub lost: Named<'a>,
}

/// The found items of `proposals` paired with the items of the declaration `lost` they
/// match, best score first, each item in one pair at most: (found position, lost or
/// stolen position), and the declaration's id.
fn matched_pairs(proposals: &[Proposal], lost: Named<'_>) -> (Vec<(i32, i32)>, Option<String>) {
    let mut pairs: Vec<(i32, i32)> = Vec::new();
    let mut owner = None;
    for p in proposals
        .iter()
        .filter(|p| p.found_probe && lost.is(&p.candidate))
    {
        let taken = pairs
            .iter()
            .any(|(found, owned)| *found == p.position || *owned == p.candidate.position);
        if !taken {
            pairs.push((p.position, p.candidate.position));
            owner.get_or_insert_with(|| p.candidate.filing_id.clone());
        }
    }
    (pairs, owner)
}

/// The hand-back, whoever holds the object (an officer of the holding unit, or the
/// lost-property office that filed it; one mechanism), in the caller's write
/// transaction:
/// - the found filing must hold a found object (else `not_found`), and the owner's
///   declaration must be one of its current candidates, as matching proposes them
///   (`proposals`: open, not recovered, compatible; else 409 `not_a_candidate`), so that
///   a mistyped id or reference cannot close a stranger's declaration;
/// - only the matched items are marked recovered (no longer reported stolen, nor
///   matched): each found item with the owner's item it matches best, so that the other
///   objects found together stay proposed to their own owners;
/// - each declaration is closed by the domain's `hand_back` once none of its objects is
///   waiting any more (a finished one stays as it is);
/// - the audit event (`item_hand_back`, naming the owner's filing) is written last.
///
/// Returns how many items were marked.
pub(super) fn hand_back_in(
    c: &mut persistence::DbConnection,
    (holder, settings): (Holder<'_>, &MatchSettings),
    HandBackOf { found, lost }: HandBackOf<'_>,
    not_found: &dyn Fn(&str) -> ApiError,
    name: Option<&str>,
    request_id: Option<String>,
) -> Result<usize, ApiError> {
    if !has_role(
        &persistence::items::items_of(c, &found.id)?,
        &[ItemRole::Found],
    ) {
        return Err(not_found(&found.id));
    }
    let (pairs, owner) = matched_pairs(&proposals(c, None, settings, &found.id)?, lost);
    let Some(owner) = owner else {
        return Err(ApiError::NotACandidate(lost.as_str().to_owned()));
    };
    let now = super::now();
    let found_items: Vec<i32> = pairs.iter().map(|(f, _)| *f).collect();
    let owned_items: Vec<i32> = pairs.iter().map(|(_, o)| *o).collect();
    // Each pair's items were waiting when matched; one that is not any more was handed
    // back meanwhile (a concurrent hand-back, whose row locks this update waited for):
    // nothing is done twice.
    let marked_found = persistence::items::mark_recovered(c, &found.id, &found_items, now)?;
    let marked_owned = persistence::items::mark_recovered(c, &owner, &owned_items, now)?;
    if marked_found != found_items.len() || marked_owned != owned_items.len() {
        return Err(ApiError::NotACandidate(lost.as_str().to_owned()));
    }
    let marked = marked_found + marked_owned;
    // A declaration is then closed, once none of its objects is waiting (a finished one
    // stays as it is).
    let sides: [(&str, &[&str]); 2] = [
        (found.id.as_str(), &[ItemRole::Found.as_str()]),
        (
            owner.as_str(),
            &[ItemRole::Lost.as_str(), ItemRole::Stolen.as_str()],
        ),
    ];
    for (id, roles) in sides {
        if persistence::items::unrecovered(c, id, roles)? > 0 {
            continue;
        }
        let Some(declaration) = persistence::filings::find(c, id)? else {
            continue;
        };
        if let Ok(mut effects) = declaration.hand_back(holder, now) {
            effects.audit.request_id.clone_from(&request_id);
            if !persistence::filings::save(c, &effects)? {
                return Err(ApiError::PreconditionFailed);
            }
        }
    }
    let mut event = domain::audit::AuditEvent::new(
        holder.audit_actor(),
        domain::audit::AuditOperation::Alteration,
        "item_hand_back",
        Some(&owner),
        now,
    );
    event.request_id = request_id;
    record_within(c, &event, name)?;
    Ok(marked)
}
