package dev.intakeauth.benchmarks;

import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.AuthResult;
import dev.intakeauth.Authenticator;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.GeneratedKey;
import dev.intakeauth.InMemoryKeyStore;
import dev.intakeauth.Privilege;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A timing-leak check in the style of dudect (Reparaz, Balasch, Verbauwhede, "Dude, is my code
 * constant time?", 2017): inputs of two classes, a fixed one and random ones, are run in random
 * interleaved order; each call is timed; Welch's t-test compares the two classes' times, on all
 * measurements and on measurements cropped at several percentiles (which removes the long tail of
 * interrupts and collections). |t| above 4.5 means the classes are told apart by timing; below 4.5
 * after at least a million measurements is the bar.
 *
 * <p>Targets:
 *
 * <ul>
 *   <li>{@code secret-token}: {@code Authenticator.authenticate} on a {@code Bearer} value; fixed =
 *       the right 32-character token, random = random tokens of the same length.
 *   <li>{@code secret-token-near-miss}: fixed = the right token with only its last character wrong,
 *       random = random tokens: a leak of how much of the token was guessed would show here.
 *   <li>{@code two-tokens-first-vs-second}: two configured 32-character tokens; fixed = the first,
 *       random = the second: a leak of which token matched would show here.
 *   <li>{@code two-tokens-first-vs-none} and {@code two-tokens-second-vs-none}: the first (or the
 *       second) configured token / random tokens of the same length.
 *   <li>{@code api-key}: cached API keys; one class = the right secrets of 256 keys, the other = a wrong
 *       secret of the same length for each of the same keys (its "unknown" answer cached too).
 *   <li>{@code api-key-near-miss}: one class = secrets wrong in their last character only, the other =
 *       the wrong secrets above.
 *   <li>{@code api-key-a-a}: both classes drawn from the same wrong secrets: an A/A test of the
 *       harness itself, which must show no difference.
 *   <li>{@code control-early-exit}: a comparison that stops at the first difference, on the near-miss
 *       classes: not constant
 *       time, so |t| must come out above 4.5; it shows the check can see a leak on this machine. The
 *       run exits 1 if a library target shows a difference or the control shows none.
 * </ul>
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar dev.intakeauth.benchmarks.ConstantTimeCheck
 * [measurements per target, default 2000000] [target ...]}.
 */
public final class ConstantTimeCheck {

  private static final double THRESHOLD = 4.5;
  private static final double[] CROPS = {0.50, 0.75, 0.90, 0.95, 0.99};
  private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  private static final int POOL = 256;
  private static final int CONTROL_LENGTH = 32;

  private ConstantTimeCheck() {}

  /**
   * One target: its fixed inputs, its random inputs, how to make a fresh input object from a value,
   * and the operation to time. Every measurement gets a freshly made input object, whichever its
   * class, so both classes read memory alike (as dudect copies each input to its own buffer); only
   * the content differs. A target with state (the API-key cache) is rebuilt with new keys before
   * every chunk of measurements, so that no one key's place in memory weighs on a class.
   */
  private static final class Target {
    final String name;
    final Function<String, Object> fresh;
    final @org.jspecify.annotations.Nullable Consumer<Target> rebuild;
    String[] fixed;
    String[] random;
    Function<Object, Object> op;

    Target(String name, String[] fixed, String[] random, Function<String, Object> fresh, Function<Object, Object> op,
        @org.jspecify.annotations.Nullable Consumer<Target> rebuild) {
      this.name = name;
      this.fixed = fixed;
      this.random = random;
      this.fresh = fresh;
      this.op = op;
      this.rebuild = rebuild;
    }

    Object input(int sampleClass, SplittableRandom rnd) {
      String[] values = sampleClass == 0 ? fixed : random;
      String value = values[rnd.nextInt(values.length)];
      return fresh.apply(new String(value.toCharArray()));
    }

    void rebuild() {
      if (rebuild != null) {
        rebuild.accept(this);
      }
    }
  }

  /**
   * Runs the check.
   *
   * @param args measurements per target, then target names (all when none)
   */
  public static void main(String[] args) {
    long measurements = args.length > 0 ? Long.parseLong(args[0].replace("_", "")) : 2_000_000;
    List<String> names = args.length > 1 ? Arrays.asList(args).subList(1, args.length) : List.of();
    SplittableRandom random = new SplittableRandom(20261125L);
    List<Target> targets = new ArrayList<>();
    for (Target t : List.of(secretToken(random, false), secretToken(random, true), twoTokens(random, "first-vs-second"),
        twoTokens(random, "first-vs-none"), twoTokens(random, "second-vs-none"), apiKey(random, "api-key"), apiKey(random, "api-key-near-miss"), apiKey(random, "api-key-a-a"), control(random))) {
      if (names.isEmpty() || names.contains(t.name)) {
        targets.add(t);
      }
    }
    System.out.printf(Locale.ROOT, "%s, %d cores, %d measurements per target; |t| < %.1f passes%n",
        Runtime.version(), Runtime.getRuntime().availableProcessors(), measurements, THRESHOLD);
    boolean allPass = true;
    boolean controlSeen = true;
    for (Target target : targets) {
      boolean pass = run(target, measurements, random);
      if (target.name.startsWith("control")) {
        controlSeen = !pass;
      } else {
        allPass &= pass;
      }
    }
    System.out.println((allPass ? "RESULT: no timing difference found between the classes of the library's targets"
        : "RESULT: a timing difference was found in a library target")
        + (controlSeen ? "" : "; WARNING: the control showed no leak, so this run could not see one"));
    if (!allPass || !controlSeen) {
      System.exit(1);
    }
  }

  private static Target secretToken(SplittableRandom random, boolean nearMiss) {
    String token = randomText(random, 32);
    Authenticator auth = Authenticator.builder().secretToken(token).build();
    String fixed = "Bearer " + (nearMiss ? token.substring(0, 31) + otherChar(random, token.charAt(31)) : token);
    String[] pool = new String[POOL];
    for (int i = 0; i < POOL; i++) {
      pool[i] = "Bearer " + randomText(random, 32);
    }
    @SuppressWarnings("unchecked")
    Function<Object, Object> op = value -> auth.authenticate((List<String>) value);
    return new Target(nearMiss ? "secret-token-near-miss" : "secret-token", new String[] {fixed}, pool, List::of, op, null);
  }

  /** Two configured tokens of the same length; which classes depends on {@code which}. */
  private static Target twoTokens(SplittableRandom random, String which) {
    String first = randomText(random, 32);
    String second = randomText(random, 32);
    Authenticator auth = Authenticator.builder().secretTokens(List.of(first, second)).build();
    String[] randomPool = new String[POOL];
    for (int i = 0; i < POOL; i++) {
      randomPool[i] = "Bearer " + randomText(random, 32);
    }
    String[] fixed = {"Bearer " + (which.startsWith("second") ? second : first)};
    String[] other = which.equals("first-vs-second") ? new String[] {"Bearer " + second} : randomPool;
    @SuppressWarnings("unchecked")
    Function<Object, Object> op = value -> auth.authenticate((List<String>) value);
    return new Target("two-tokens-" + which, fixed, other, List::of, op, null);
  }

  private static Target apiKey(SplittableRandom random, String name) {
    Target target = new Target(name, new String[0], new String[0], List::of, v -> v, t -> cacheApiKeys(t, random));
    target.rebuild();
    return target;
  }

  /**
   * 256 fresh keys, each with its right secret, a wrong secret of the same length, and one wrong in
   * its last character only, all answers cached, in a random order so that neither class's entries
   * sit together in memory. One class is the right secrets (or the near-miss ones, or for the A/A
   * test the wrong ones again), the other the wrong ones.
   */
  private static void cacheApiKeys(Target target, SplittableRandom random) {
    InMemoryKeyStore.Builder keys = InMemoryKeyStore.builder();
    String[] right = new String[POOL];
    String[] wrong = new String[POOL];
    String[] almost = new String[POOL];
    for (int i = 0; i < POOL; i++) {
      GeneratedKey key = GeneratedKey.generate(randomText(random, 20), List.of(Privilege.EVENT_WRITE), null);
      keys.add(key);
      String id = key.credential().id();
      String secret = key.secret();
      int last = secret.length() - 1;
      right[i] = key.credential().authorizationValue();
      wrong[i] = ApiKeyCredential.of(id, randomText(random, secret.length())).authorizationValue();
      almost[i] = ApiKeyCredential.of(id, secret.substring(0, last) + otherChar(random, secret.charAt(last))).authorizationValue();
    }
    Authenticator auth = Authenticator.builder()
        .apiKeys(CachingPrivilegeChecker.builder(keys.build()).newKeysPerMinute(10 * POOL).build())
        .build();
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < 3 * POOL; i++) {
      order.add(i);
    }
    java.util.Collections.shuffle(order, new java.util.Random(random.nextLong()));
    for (int k : order) {
      int i = k % POOL;
      AuthResult result = auth.authenticate(k < POOL ? right[i] : k < 2 * POOL ? wrong[i] : almost[i]);
      if ((result instanceof AuthResult.Authenticated) != (k < POOL)) {
        throw new IllegalStateException("right secrets must authenticate and wrong ones must not");
      }
    }
    target.fixed = switch (target.name) {
      case "api-key-near-miss" -> almost;
      case "api-key-a-a" -> wrong;
      default -> right;
    };
    target.random = wrong;
    @SuppressWarnings("unchecked")
    Function<Object, Object> op = value -> auth.authenticate((List<String>) value);
    target.op = op;
  }

  private static Target control(SplittableRandom random) {
    String token = randomText(random, CONTROL_LENGTH);
    String nearMiss = token.substring(0, CONTROL_LENGTH - 1) + (token.charAt(CONTROL_LENGTH - 1) == 'A' ? 'B' : 'A');
    String[] pool = new String[POOL];
    for (int i = 0; i < POOL; i++) {
      pool[i] = randomText(random, CONTROL_LENGTH);
    }
    char[] expected = token.toCharArray();
    return new Target("control-early-exit", new String[] {nearMiss}, pool, value -> value, value -> earlyExitEquals(expected, (String) value), null);
  }

  /** The comparison a constant-time one replaces: it stops at the first difference. */
  private static boolean earlyExitEquals(char[] expected, String presented) {
    if (expected.length != presented.length()) {
      return false;
    }
    for (int i = 0; i < expected.length; i++) {
      if (expected[i] != presented.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** Measures one target; true when no class difference was seen (max |t| below the threshold). */
  private static boolean run(Target target, long measurements, SplittableRandom random) {
    // Warm up: let the JIT compile the path on both classes before anything is measured.
    Object sink = null;
    for (int i = 0; i < 300_000; i++) {
      sink = target.op.apply(target.input(i & 1, random));
    }
    // The crop thresholds come from a first batch, as in dudect.
    int first = 100_000;
    long[] firstTimes = new long[first];
    for (int i = 0; i < first; i++) {
      Object input = target.input(random.nextInt(2), random);
      long t0 = System.nanoTime();
      sink = target.op.apply(input);
      firstTimes[i] = System.nanoTime() - t0;
    }
    long[] sorted = firstTimes.clone();
    Arrays.sort(sorted);
    long[] crops = new long[CROPS.length];
    for (int c = 0; c < CROPS.length; c++) {
      crops[c] = sorted[(int) (CROPS[c] * (first - 1))];
    }
    WelchT all = new WelchT();
    WelchT[] cropped = new WelchT[CROPS.length];
    for (int c = 0; c < CROPS.length; c++) {
      cropped[c] = new WelchT();
    }
    int chunk = 1 << 13;
    int[] classes = new int[chunk];
    Object[] inputs = new Object[chunk];
    long[] times = new long[chunk];
    long done = 0;
    long nextReport = Math.min(1_000_000, measurements);
    double worst = 0;
    while (done < measurements) {
      int n = (int) Math.min(chunk, measurements - done);
      target.rebuild();
      for (int i = 0; i < n; i++) {
        classes[i] = random.nextInt(2);
        inputs[i] = target.input(classes[i], random);
      }
      for (int i = 0; i < n; i++) {
        Object input = inputs[i];
        long t0 = System.nanoTime();
        sink = target.op.apply(input);
        times[i] = System.nanoTime() - t0;
      }
      for (int i = 0; i < n; i++) {
        all.add(classes[i], times[i]);
        for (int c = 0; c < CROPS.length; c++) {
          if (times[i] <= crops[c]) {
            cropped[c].add(classes[i], times[i]);
          }
        }
      }
      done += n;
      if (done >= nextReport || done == measurements) {
        worst = Math.abs(all.t());
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-24s n=%,10d  mean fixed %.1f ns, random %.1f ns  t(all)=%+6.2f",
            target.name, done, all.mean(0), all.mean(1), all.t()));
        for (int c = 0; c < CROPS.length; c++) {
          worst = Math.max(worst, Math.abs(cropped[c].t()));
          line.append(String.format(Locale.ROOT, "  t(p%s)=%+6.2f", percent(CROPS[c]), cropped[c].t()));
        }
        line.append(String.format(Locale.ROOT, "  max|t|=%.2f", worst));
        System.out.println(line);
        nextReport += 1_000_000;
      }
    }
    boolean pass = worst < THRESHOLD;
    System.out.printf(Locale.ROOT, "%-24s %s (max |t| = %.2f over %,d measurements)%n%n", target.name,
        pass ? "no difference" : "DIFFERENCE", worst, done);
    if (sink == null) {
      System.out.print("");
    }
    return pass;
  }

  private static String percent(double p) {
    return p * 100 == Math.rint(p * 100) ? Integer.toString((int) (p * 100)) : Double.toString(p * 100);
  }

  /** A random alphabet character other than {@code c}, so a near miss is as random as the rest. */
  private static char otherChar(SplittableRandom random, char c) {
    char other;
    do {
      other = ALPHABET.charAt(random.nextInt(ALPHABET.length()));
    } while (other == c);
    return other;
  }

  private static String randomText(SplittableRandom random, int length) {
    char[] c = new char[length];
    for (int i = 0; i < length; i++) {
      c[i] = ALPHABET.charAt(random.nextInt(ALPHABET.length()));
    }
    return new String(c);
  }
}
