/**
 * Implementation details of intake-auth: not API. Exported only to the sibling modules
 * (Elasticsearch, servlet, command line) so that they share these helpers rather than write them again.
 */
@NullMarked
package dev.intakeauth.internal;

import org.jspecify.annotations.NullMarked;
