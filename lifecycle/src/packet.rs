//! Readiness packets (`cavra.policy-lifecycle.readiness.v1`): the builder that assembles one from
//! a lifecycle plan and operating evidence, and the validator that gates on it.

pub mod build;
pub mod validate;

pub use build::{build_packet, OperatingEvidence, ReadinessPacket};
pub use validate::{
    validate_packet, CheckStatus, ReadinessCheck, ReadinessResult, ReadinessStatus,
};
