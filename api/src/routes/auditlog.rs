//! The audit log's proofs and keys: the public verification keys (anyone), the latest
//! signed checkpoint, an event's inclusion proof and the consistency proof between two
//! checkpoints (those who read the audit trail, within their scope; each read recorded).

use crate::actors::Officer;
use crate::app::backoffice::record;
use crate::app::with_db;
use crate::auditlog::proofs::{
    hex_list, AuditKeys, CheckpointView, ConsistencyProof, InclusionProof,
};
use crate::error::{ApiError, FieldError, Problem};
use crate::middleware::RequestId;
use crate::routes::backoffice::audit::units_of;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use base64::Engine;
use chrono::Utc;
use domain::audit::{AuditEvent, AuditOperation};
use domain::policy::{self, OfficerActor};
use persistence::auditlog;
use serde::Deserialize;
use utoipa::IntoParams;

/// The audit log's public keys
///
/// The Ed25519 public keys that verify the audit log's checkpoints: the current key and
/// the retired ones that signed older checkpoints. Public.
#[utoipa::path(
    tag = "audit log",
    security(()),
    responses((status = 200, description = "The keys, current first", body = AuditKeys))
)]
#[get("/audit-log/keys")]
pub async fn keys(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(AuditKeys::of(&state.audit_log.keyring))
}

/// Allows a reader of the audit trail and records the read (`action`, on `object`).
async fn allow(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    officer: &OfficerActor,
    action: &str,
    object: (&str, Option<String>),
) -> Result<(), ApiError> {
    let mut event = AuditEvent::new(
        officer.audit_actor(None),
        AuditOperation::Consultation,
        object.0,
        object.1.as_deref(),
        Utc::now(),
    )
    .with_action(action);
    event.request_id = RequestId::of(req);
    if !policy::may_read_audit_trail(officer) {
        record(state, event.denied()).await?;
        return Err(ApiError::Forbidden);
    }
    record(state, event).await
}

/// The latest checkpoint
///
/// The audit log's latest signed checkpoint (size, root, time, key, signature). For
/// supervisors, administrators and auditors; recorded.
#[utoipa::path(
    tag = "audit log",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The latest checkpoint", body = CheckpointView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a reader of the audit trail", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Nothing sealed yet", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/audit-log/checkpoint")]
pub async fn latest_checkpoint(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
) -> Result<HttpResponse, ApiError> {
    allow(
        &req,
        &state,
        &officer.actor(),
        "read_checkpoint",
        ("audit_log", None),
    )
    .await?;
    let latest = with_db(&state, |conn| Ok(auditlog::latest_checkpoint(conn)?)).await?;
    let latest = latest.ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(CheckpointView::from(latest)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProofQuery {
    /// The size of the checkpoint to prove against (a stored checkpoint's); default the
    /// latest.
    #[param(minimum = 1)]
    pub tree_size: Option<u64>,
}

/// An event's inclusion proof
///
/// Proves that the event is in the log of a signed checkpoint (RFC 9162, 2.1.3): its leaf
/// entry, its position, the audit path and the checkpoint. Check it offline with
/// `ecommissariat audit verify-proof FILE`. Supervisors and administrators for their
/// units' events, auditors for all; recorded.
#[utoipa::path(
    tag = "audit log",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The audit event's id"), ProofQuery),
    responses(
        (status = 200, description = "The inclusion proof", body = InclusionProof),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a reader of the audit trail", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such event in the caller's scope", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The event is not sealed yet (it will be within seconds), or not in that checkpoint", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No checkpoint of that size", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/audit-events/{id}/proof")]
pub async fn inclusion(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
    id: web::Path<i64>,
    query: web::Query<ProofQuery>,
) -> Result<HttpResponse, ApiError> {
    let (officer, id) = (officer.actor(), id.into_inner());
    allow(
        &req,
        &state,
        &officer,
        "read_inclusion_proof",
        ("audit_event", Some(id.to_string())),
    )
    .await?;
    let (units, tree_size) = (units_of(&officer), query.tree_size);
    let proof = with_db(&state, move |conn| prove(conn, id, units, tree_size)).await?;
    Ok(HttpResponse::Ok().json(proof))
}

/// The inclusion proof of event `id`, when it is in `units`' scope and sealed in the
/// checkpoint of `tree_size` (the latest by default).
fn prove(
    conn: &mut persistence::DbConnection,
    id: i64,
    units: Option<Vec<String>>,
    tree_size: Option<u64>,
) -> Result<InclusionProof, ApiError> {
    let filter = persistence::audit::AuditFilter {
        id: Some(id),
        units,
        ..Default::default()
    };
    if persistence::audit::list(conn, &filter, 1)?.is_empty() {
        return Err(ApiError::NotFound);
    }
    let checkpoint = checkpoint_of(conn, tree_size, "/query/tree_size")?;
    let index = auditlog::position_of(conn, id)?
        .filter(|i| *i < checkpoint.tree_size)
        .ok_or(ApiError::Status(StatusCode::CONFLICT))?;
    let entry = auditlog::event_entry(conn, id)?.ok_or(ApiError::NotFound)?;
    let path = auditlog::inclusion_proof(conn, index, checkpoint.tree_size)?;
    Ok(InclusionProof {
        event_id: id,
        leaf_index: index,
        tree_size: checkpoint.tree_size,
        leaf_hash: hex::encode(domain::merkle::leaf_hash(&entry)),
        leaf_entry: base64::engine::general_purpose::STANDARD.encode(&entry),
        audit_path: hex_list(&path),
        checkpoint: checkpoint.into(),
    })
}

/// The stored checkpoint of `size` (the latest when `None`); 422 at `pointer` when there
/// is none of that size, 404 when nothing is sealed yet.
fn checkpoint_of(
    conn: &mut persistence::DbConnection,
    size: Option<u64>,
    pointer: &str,
) -> Result<domain::audit::Checkpoint, ApiError> {
    match size {
        None => auditlog::latest_checkpoint(conn)?.ok_or(ApiError::NotFound),
        Some(size) => auditlog::checkpoint_at(conn, size)?
            .ok_or_else(|| ApiError::Validation(vec![FieldError::new(pointer, "out_of_range")])),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    /// The older checkpoint's size.
    #[param(minimum = 1)]
    pub from: u64,
    /// The newer checkpoint's size; default the latest.
    #[param(minimum = 1)]
    pub to: Option<u64>,
}

/// A consistency proof
///
/// Proves that the log of an older checkpoint is a prefix of a newer one's (RFC 9162,
/// 2.1.4): nothing sealed in between was changed or removed. Check it offline with
/// `ecommissariat audit verify-proof FILE`. Supervisors, administrators and auditors;
/// recorded.
#[utoipa::path(
    tag = "audit log",
    security(("bearer" = [])),
    params(ConsistencyQuery),
    responses(
        (status = 200, description = "The consistency proof", body = ConsistencyProof),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a reader of the audit trail", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Nothing sealed yet", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No checkpoint of such a size, or `from` after `to`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/audit-log/consistency")]
pub async fn consistency(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
    query: web::Query<ConsistencyQuery>,
) -> Result<HttpResponse, ApiError> {
    allow(
        &req,
        &state,
        &officer.actor(),
        "read_consistency_proof",
        ("audit_log", None),
    )
    .await?;
    let (from, to) = (query.from, query.to);
    let proof = with_db(&state, move |conn| {
        let new = checkpoint_of(conn, to, "/query/to")?;
        let old = checkpoint_of(conn, Some(from), "/query/from")?;
        if old.tree_size > new.tree_size {
            return Err(ApiError::Validation(vec![FieldError::new(
                "/query/from",
                "out_of_range",
            )]));
        }
        let proof = auditlog::consistency_proof(conn, old.tree_size, new.tree_size)?;
        Ok(ConsistencyProof {
            old: old.into(),
            new: new.into(),
            proof: hex_list(&proof),
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(proof))
}
