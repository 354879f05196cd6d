package dev.intakeauth.elasticsearch;

/** The backend against Elasticsearch 9.2, on a JDK 21+ the harness finds (skipped when there is none). */
class Elasticsearch9IT extends ElasticsearchBackendIT {
  Elasticsearch9IT() {
    super("9.2.0");
  }
}
