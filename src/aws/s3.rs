//! S3: where `baken adopt` puts a retain template too large for CloudFormation to take inline.
//! CloudFormation takes at most 51,200 bytes as `TemplateBody`; anything larger (up to 1 MB) must
//! be an S3 object given as `TemplateURL`, which CloudFormation reads with the caller's
//! credentials. The CDK app was deployed through its bootstrap bucket, so that bucket exists
//! wherever there is a CDK app to adopt: baken puts its object there under `baken/` and removes
//! it once the stack is gone.

use aws_sdk_s3::primitives::ByteStream;
use serde::{Deserialize, Serialize};

use super::client::error::{absent_if, on};
use super::{AwsError, Clients};

/// The largest template CloudFormation reads from S3.
pub const TEMPLATE_URL_MAX: usize = 1_000_000;

/// One object baken put in a bucket; kept in the adoption receipt until it is removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Object {
    pub bucket: String,
    pub key: String,
}

impl Object {
    /// The virtual-hosted URL CloudFormation takes as `TemplateURL`.
    pub fn url(&self, region: &str) -> String {
        format!(
            "https://{}.s3.{region}.amazonaws.com/{}",
            self.bucket, self.key
        )
    }

    fn res(&self) -> String {
        format!("S3 object s3://{}/{}", self.bucket, self.key)
    }
}

pub async fn put(clients: &Clients, object: &Object, body: &str) -> Result<(), AwsError> {
    clients
        .s3
        .put_object()
        .bucket(&object.bucket)
        .key(&object.key)
        .content_type("application/json")
        .body(ByteStream::from(body.as_bytes().to_vec()))
        .send()
        .await
        .map_err(on("PutObject", object.res()))
        .map_err(|e| {
            if e.code_is("NoSuchBucket") {
                e.with_hint("the CDK bootstrap bucket named by stack CDKToolkit is gone: run `cdk bootstrap` in this account and region, then baken adopt again")
            } else {
                e
            }
        })?;
    Ok(())
}

/// Removes the object; one already gone (or its bucket) is done.
pub async fn delete(clients: &Clients, object: &Object) -> Result<(), AwsError> {
    absent_if(
        clients
            .s3
            .delete_object()
            .bucket(&object.bucket)
            .key(&object.key)
            .send()
            .await
            .map_err(on("DeleteObject", object.res())),
        &["NoSuchKey", "NoSuchBucket"],
    )?;
    Ok(())
}
