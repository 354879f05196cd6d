/**
 * Reloading configuration files while the server runs: {@link dev.intakeauth.reload.ReloadingFile}
 * watches a key file or a secret-token file and swaps the new content in atomically, keeping the last
 * good state when the file is broken.
 */
@NullMarked
package dev.intakeauth.reload;

import org.jspecify.annotations.NullMarked;
