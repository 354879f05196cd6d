/**
 * Resolves API-key privileges with Elasticsearch: {@link dev.intakeauth.elasticsearch.ElasticsearchPrivilegeChecker}
 * asks {@code _security/user/_has_privileges} with the agent's own credential.
 */
@NullMarked
package dev.intakeauth.elasticsearch;

import org.jspecify.annotations.NullMarked;
