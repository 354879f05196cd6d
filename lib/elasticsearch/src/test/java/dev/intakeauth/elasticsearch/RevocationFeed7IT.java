package dev.intakeauth.elasticsearch;

/** The revocation feed against Elasticsearch 7.17. */
class RevocationFeed7IT extends RevocationFeedIT {
  RevocationFeed7IT() {
    super("7.17.10", false);
  }
}
