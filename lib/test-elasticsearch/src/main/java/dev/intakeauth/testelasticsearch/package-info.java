/** A real, secured Elasticsearch for the project's integration tests. */
@NullMarked
package dev.intakeauth.testelasticsearch;

import org.jspecify.annotations.NullMarked;
