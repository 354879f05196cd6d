package dev.intakeauth.elasticsearch;

/** The backend against Elasticsearch 7.17. */
class Elasticsearch7IT extends ElasticsearchBackendIT {
  Elasticsearch7IT() {
    super("7.17.10");
  }
}
