package dev.intakeauth.elasticsearch;

/** The backend against Elasticsearch 8.15. */
class Elasticsearch8IT extends ElasticsearchBackendIT {
  Elasticsearch8IT() {
    super("8.15.0");
  }
}
