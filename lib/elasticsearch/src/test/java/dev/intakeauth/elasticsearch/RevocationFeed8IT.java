package dev.intakeauth.elasticsearch;

/** The revocation feed against Elasticsearch 8.15. */
class RevocationFeed8IT extends RevocationFeedIT {
  RevocationFeed8IT() {
    super("8.15.0", true);
  }
}
