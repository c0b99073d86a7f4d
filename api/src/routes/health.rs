//! Liveness and readiness probes.

use crate::error::{ApiError, Problem};
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use persistence::DatabaseUrl;
use serde::Serialize;
use std::time::{Duration, Instant};
use utoipa::ToSchema;

/// How long readiness waits for a database connection.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct Liveness {
    /// Always `ok` when the process answers.
    pub status: String,
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"status": "ready", "database": {"backend": "postgres", "round_trip_ms": 0.4}}))]
pub struct Readiness {
    /// `ready` when the service can serve requests.
    pub status: String,
    pub database: DatabaseHealth,
}

#[derive(Serialize, ToSchema)]
pub struct DatabaseHealth {
    /// `postgres` or `sqlite`.
    pub backend: String,
    /// Duration of the round trip, in milliseconds.
    pub round_trip_ms: f64,
}

/// Liveness probe
///
/// Answers as long as the process runs; it does not touch the database.
#[utoipa::path(
    tag = "operations",
    security(()),
    responses(
        (status = 200, description = "The process is alive", body = Liveness),
    )
)]
#[get("/health/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Liveness {
        status: "ok".into(),
    })
}

/// Readiness probe
///
/// Makes a round trip to the database. Load balancers send traffic only when it
/// answers 200.
#[utoipa::path(
    tag = "operations",
    security(()),
    responses(
        (status = 200, description = "The service and its database are ready", body = Readiness),
        (status = 503, description = "The database cannot be reached", body = Problem,
            content_type = "application/problem+json"),
    )
)]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let pool = state.pool.clone();
    let database = state.database.clone();
    let started = Instant::now();
    let outcome = web::block(move || {
        let mut conn = pool.get_timeout(READY_TIMEOUT)?;
        conn.check()?;
        if let DatabaseUrl::Sqlite(path) = &database {
            // An open SQLite handle keeps working on a deleted or moved file: check that
            // the database is still where the configuration says.
            if !path.is_file() {
                return Err(persistence::PersistenceError::Connect(format!(
                    "{} no longer exists",
                    path.display()
                )));
            }
        }
        Ok::<_, persistence::PersistenceError>(())
    })
    .await?;
    if let Err(error) = outcome {
        tracing::warn!(%error, "readiness check failed");
        return Err(ApiError::DatabaseUnavailable);
    }
    Ok(HttpResponse::Ok().json(Readiness {
        status: "ready".into(),
        database: DatabaseHealth {
            backend: state.database.backend().as_str().into(),
            round_trip_ms: (started.elapsed().as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
        },
    }))
}
