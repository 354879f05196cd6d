/**
 * intake-auth core: parses {@code Authorization} headers, checks secret tokens in constant time,
 * resolves API-key privileges through a {@link dev.intakeauth.PrivilegeChecker} (with a caching
 * layer in front of any backend) and answers every request with one {@link dev.intakeauth.AuthResult};
 * {@link dev.intakeauth.access.AccessControl} adds routes, CORS and anonymous access, for any transport.
 */
// The sibling modules that share the internal helpers are not built yet when core is compiled.
@SuppressWarnings("module")
module dev.intakeauth.core {
  requires com.github.benmanes.caffeine;
  requires org.slf4j;
  requires static transitive org.jspecify;

  exports dev.intakeauth;
  exports dev.intakeauth.access;
  exports dev.intakeauth.anonymous;
  exports dev.intakeauth.reload;
  exports dev.intakeauth.internal to dev.intakeauth.elasticsearch, dev.intakeauth.servlet, dev.intakeauth.cli;
}
