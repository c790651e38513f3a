//! Public list prices, without the free tier (a provider's account may
//! have used it elsewhere).

/// The prices a bill is computed with, and where they come from.
#[derive(Debug, Clone, PartialEq)]
pub struct Prices {
    pub region: &'static str,
    /// When these were read, and from where.
    pub as_of: &'static str,
    pub lambda_per_million_requests: f64,
    pub lambda_arm_per_gb_second: f64,
    pub dynamodb_per_million_wru: f64,
    pub dynamodb_per_million_rru: f64,
    pub s3_per_thousand_tier1: f64,
    pub s3_per_thousand_tier2: f64,
    pub sqs_per_million_requests: f64,
    pub ses_per_thousand_received: f64,
    pub ses_per_thousand_chunks: f64,
    pub ses_per_thousand_sent: f64,
}

/// US East (N. Virginia), the region AWS's price pages quote first. Other
/// regions differ by up to about a quarter (Frankfurt's DynamoDB and
/// Lambda are dearer); a provider copies this with their region's figures.
pub const US_EAST_1: Prices = Prices {
    region: "us-east-1",
    as_of: "2026-12-06, as listed on aws.amazon.com/{lambda,dynamodb,s3,sqs,ses}/pricing \
            (DynamoDB on-demand at its price of 2024-11-01); this machine cannot reach \
            aws.amazon.com, the figures were checked against public copies of those pages",
    // aws.amazon.com/lambda/pricing: requests $0.20 per 1M; Arm duration,
    // first 7.5 billion GB-s a month, $0.0000133334 per GB-s.
    lambda_per_million_requests: 0.20,
    lambda_arm_per_gb_second: 0.000_013_333_4,
    // aws.amazon.com/dynamodb/pricing/on-demand: $0.625 per million write
    // request units, $0.125 per million read request units (Standard).
    dynamodb_per_million_wru: 0.625,
    dynamodb_per_million_rru: 0.125,
    // aws.amazon.com/s3/pricing, S3 Standard: PUT, COPY, POST, LIST $0.005
    // per 1,000; GET, SELECT and all other requests $0.0004 per 1,000.
    s3_per_thousand_tier1: 0.005,
    s3_per_thousand_tier2: 0.000_4,
    // aws.amazon.com/sqs/pricing: standard queue $0.40 per million
    // requests (each 64 KB chunk of a payload is one request).
    sqs_per_million_requests: 0.40,
    // aws.amazon.com/ses/pricing: incoming mail $0.10 per 1,000 mails and
    // $0.09 per 1,000 incoming mail chunks of 256 KB; outgoing $0.10 per
    // 1,000 mails.
    ses_per_thousand_received: 0.10,
    ses_per_thousand_chunks: 0.09,
    ses_per_thousand_sent: 0.10,
};
