pub mod fake_provider;
pub mod json_schema;
pub mod server;
