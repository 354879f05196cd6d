package dev.intakeauth.elasticsearch;

/**
 * Role descriptors of an intake server's own API key for writing to Elasticsearch, in APM Server's
 * shape.
 */
public enum ServerKeyRole {
  /** {@code apm_writer}: cluster {@code monitor}; create documents in the APM data streams. */
  WRITER("apm_writer",
      "{\"cluster\":[\"monitor\"],\"index\":[{\"names\":[\"traces-apm*\",\"logs-apm*\",\"metrics-apm*\"],\"privileges\":[\"auto_configure\",\"create_doc\"]}]}"),
  /** {@code apm_sourcemap}: read source maps. */
  SOURCEMAP("apm_sourcemap", "{\"index\":[{\"names\":[\".apm-source-map\"],\"privileges\":[\"read\"]}]}"),
  /** {@code apm_agentcfg}: read central agent configuration. */
  AGENT_CONFIG("apm_agentcfg",
      "{\"index\":[{\"names\":[\".apm-agent-configuration\"],\"privileges\":[\"read\"],\"allow_restricted_indices\":true}]}"),
  /** {@code apm_monitoring}: publish monitoring data. */
  MONITORING("apm_monitoring", "{\"index\":[{\"names\":[\".monitoring-beats-*\"],\"privileges\":[\"create_index\",\"create_doc\"]}]}"),
  /**
   * {@code apm_revocation_feed}: cluster {@code read_security}, the least privilege with which the
   * revocation feed ({@link ElasticsearchRevocationSource}) sees every user's API keys. Elasticsearch
   * 8.x only (7.17 refuses the key: it has no {@code read_security}); read-only, but it shows every
   * user, role and key of the security configuration, no secret.
   */
  REVOCATION_FEED("apm_revocation_feed", "{\"cluster\":[\"read_security\"]}"),
  /**
   * {@code apm_revocation_feed} for Elasticsearch 7.17: cluster {@code manage_api_key}, the only
   * privilege there short of {@code manage_security} with which the revocation feed sees every user's
   * API keys. It also lets the key create and invalidate any user's API keys: use
   * {@link #REVOCATION_FEED} on 8.x.
   */
  REVOCATION_FEED_MANAGE_API_KEY("apm_revocation_feed", "{\"cluster\":[\"manage_api_key\"]}");

  private final String descriptorName;
  private final String descriptorJson;

  ServerKeyRole(String descriptorName, String descriptorJson) {
    this.descriptorName = descriptorName;
    this.descriptorJson = descriptorJson;
  }

  /** The role descriptor's name in the key, for example {@code apm_writer}. */
  String descriptorName() {
    return descriptorName;
  }

  /** The role descriptor, as JSON. */
  String descriptorJson() {
    return descriptorJson;
  }
}
