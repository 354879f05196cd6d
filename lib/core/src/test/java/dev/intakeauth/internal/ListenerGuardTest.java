package dev.intakeauth.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.intakeauth.AuthListener;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ListenerGuardTest {

  /** Default arguments for any listener method: an enum's first constant, false, 0 or an empty text. */
  private static Object[] arguments(Method method) {
    Class<?>[] types = method.getParameterTypes();
    Object[] args = new Object[types.length];
    for (int i = 0; i < types.length; i++) {
      Class<?> t = types[i];
      args[i] = t.isEnum() ? t.getEnumConstants()[0] : t == boolean.class ? false : t == int.class ? 0 : t == long.class ? 0L : "";
    }
    return args;
  }

  @Test
  void noListenerAndTheNoneListenerLeaveNothingToCallAndAGuardIsNotGuardedTwice() {
    assertThat(ListenerGuard.guard(null)).isNull();
    assertThat(ListenerGuard.guard(AuthListener.NONE)).isNull();
    AuthListener guarded = ListenerGuard.guard(new AuthListener() { });
    assertThat(ListenerGuard.guard(guarded)).isSameAs(guarded);
  }

  @Test
  void everyMethodIsPassedOnAndWhatItThrowsStopsThere() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    AuthListener throwing = (AuthListener) Proxy.newProxyInstance(AuthListener.class.getClassLoader(), new Class<?>[] {AuthListener.class},
        (proxy, method, args) -> {
          calls.incrementAndGet();
          throw new IllegalStateException("broken listener");
        });
    AuthListener guarded = ListenerGuard.guard(throwing);
    int methods = 0;
    for (Method method : AuthListener.class.getMethods()) {
      if (method.isDefault()) {
        methods++;
        assertThatCode(() -> method.invoke(guarded, arguments(method))).as(method.getName()).doesNotThrowAnyException();
      }
    }
    assertThat(calls).hasValue(methods);
  }

  @Test
  void failuresAreLoggedAtMostOnceAMinute() {
    AtomicLong now = new AtomicLong(5);
    ListenerGuard guard = new ListenerGuard(new AuthListener() { }, now::get);
    RuntimeException failure = new IllegalStateException("broken listener");
    assertThat(guard.failed("onCacheHit", failure)).as("the first").isTrue();
    assertThat(guard.failed("onCacheHit", failure)).isFalse();
    now.addAndGet(TimeUnit.SECONDS.toNanos(59));
    assertThat(guard.failed("onCacheMiss", failure)).isFalse();
    now.addAndGet(TimeUnit.SECONDS.toNanos(1));
    assertThat(guard.failed("onCacheMiss", failure)).as("a minute after the last one logged").isTrue();
    assertThat(guard.failed("onCacheMiss", failure)).isFalse();
  }

  @Test
  void anErrorOfTheVirtualMachineIsNotSwallowed() {
    ListenerGuard guard = new ListenerGuard(new AuthListener() { }, System::nanoTime);
    StackOverflowError error = new StackOverflowError();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> guard.failed("onCacheHit", error)).isSameAs(error);
  }
}
