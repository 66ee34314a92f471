//! Writers for the machine formats CI tools read (JUnit XML, SARIF 2.1.0) and the coloured text
//! rendering of diagnostics.

pub mod junit;
pub mod sarif;
pub mod text;
