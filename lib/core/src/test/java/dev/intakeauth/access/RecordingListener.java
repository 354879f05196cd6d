package dev.intakeauth.access;

import dev.intakeauth.AuthListener;
import dev.intakeauth.AuthMethod;
import dev.intakeauth.Outcome;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Writes down what it hears, in order, as short lines such as {@code request MISSING ANONYMOUS}. */
final class RecordingListener implements AuthListener {

  private final List<String> heard = new ArrayList<>();

  /** One request's report, as it is written down. */
  static String request(Outcome outcome, @Nullable AuthMethod method) {
    return "request " + outcome + " " + method;
  }

  @Override
  public synchronized void onRequest(Outcome outcome, @Nullable AuthMethod method) {
    heard.add(request(outcome, method));
  }

  @Override
  public synchronized void onEventRefused(Outcome outcome) {
    heard.add("event " + outcome);
  }

  @Override
  public synchronized void onAnonymousRateLimited() {
    heard.add("rate limited");
  }

  synchronized List<String> heard() {
    return List.copyOf(heard);
  }

  synchronized void clear() {
    heard.clear();
  }
}
