/**
 * intake-auth for Elasticsearch: {@link dev.intakeauth.elasticsearch.ElasticsearchPrivilegeChecker}
 * resolves API-key privileges with {@code _has_privileges}, and
 * {@link dev.intakeauth.elasticsearch.ApiKeyManager} creates, inspects, verifies and invalidates keys, and
 * {@link dev.intakeauth.elasticsearch.ElasticsearchRevocationSource} tells a revocation feed which cached
 * keys were invalidated or have expired.
 */
// The low-level REST client is an automatic module named after its file (its manifest names none),
// and ElasticsearchPrivilegeChecker.using takes its RestClient: required transitively all the same.
@SuppressWarnings("requires-transitive-automatic")
module dev.intakeauth.elasticsearch {
  requires transitive dev.intakeauth.core;
  requires transitive elasticsearch.rest.client;
  requires org.apache.httpcomponents.httpasyncclient;
  requires org.apache.httpcomponents.httpclient;
  requires org.apache.httpcomponents.httpcore;
  // The client and Apache HttpClient log through commons-logging, a named module since 1.3: required so
  // that it is resolved on a module path too, where it hands their log records to SLF4J.
  requires org.apache.commons.logging;
  requires com.fasterxml.jackson.databind;
  requires org.slf4j;
  requires static org.jspecify;

  exports dev.intakeauth.elasticsearch;
}
