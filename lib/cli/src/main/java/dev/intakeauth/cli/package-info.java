/** The {@code apikey} command line tool. */
@NullMarked
package dev.intakeauth.cli;

import org.jspecify.annotations.NullMarked;
