//! The AWS seam: one module per service owns that service's reads, writes and waiters; nothing
//! outside `aws/` talks to an SDK client.

pub mod apigateway;
pub mod client;
pub mod cloudformation;
pub mod cloudwatch;
pub mod dynamodb;
pub mod ec2;
pub mod iam;
pub mod lambda;
pub mod lock;
pub mod logs;
pub mod permissions;
pub mod policy;
pub mod read;
pub mod read_ahead;
pub mod s3;
pub mod scheduler;
pub mod seam;
pub mod sns;
pub mod ssm;
pub mod sts;

pub use client::AwsError;
pub use client::{retry_config, Clients, RequestCounter, RequestCounts, Target, Timing};
