/** Implementation details of intake-auth core; not exported, not API. */
@NullMarked
package dev.intakeauth.internal;

import org.jspecify.annotations.NullMarked;
