//! Named counters (the template's click counter).

use sqlx::AnyConnection;

use super::Result;

/// Adds one to the named counter (creating it at 1) and returns the stored value; one
/// statement, so concurrent clicks never lose an increment.
pub async fn increment(conn: &mut AnyConnection, name: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO counters (name, value) VALUES ($1, 1) \
         ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 \
         RETURNING value",
    )
    .bind(name)
    .fetch_one(&mut *conn)
    .await?)
}

/// The stored value of the named counter, 0 when it was never incremented.
pub async fn get(conn: &mut AnyConnection, name: &str) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT value FROM counters WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *conn)
            .await?
            .unwrap_or(0),
    )
}
