package dev.intakeauth.elasticsearch;

/** The revocation feed against Elasticsearch 9.2, on a JDK 21+ the harness finds (skipped when there is none). */
class RevocationFeed9IT extends RevocationFeedIT {
  RevocationFeed9IT() {
    super("9.2.0", true);
  }
}
