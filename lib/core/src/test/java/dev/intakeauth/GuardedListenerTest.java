package dev.intakeauth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class GuardedListenerTest {

  private static final TimeSource TIME = TimeSource.system();

  @Test
  void noListenerIsNothingToReportTo() {
    assertThat(GuardedListener.of(AuthListener.NONE, TIME)).isNull();
  }

  @Test
  void aListenerIsGuardedOnce() {
    AuthListener guarded = GuardedListener.of(new AuthListener() {}, TIME);
    assertThat(guarded).isInstanceOf(GuardedListener.class);
    assertThat(GuardedListener.of(guarded, TIME)).isSameAs(guarded);
  }

  @Test
  void everyMethodIsCalledThroughAndWhatItThrowsStaysInside() throws Exception {
    List<String> called = new ArrayList<>();
    InvocationHandler throwing = (proxy, method, args) -> {
      called.add(method.getName());
      throw new IllegalStateException("listener broke");
    };
    AuthListener broken = (AuthListener) Proxy.newProxyInstance(AuthListener.class.getClassLoader(), new Class<?>[] {AuthListener.class}, throwing);
    AuthListener guarded = GuardedListener.of(broken, TIME);
    List<String> expected = new ArrayList<>();
    for (Method method : AuthListener.class.getDeclaredMethods()) {
      if (method.isSynthetic() || java.lang.reflect.Modifier.isStatic(method.getModifiers())) {
        continue;
      }
      Object[] args = new Object[method.getParameterCount()];
      Class<?>[] types = method.getParameterTypes();
      for (int i = 0; i < args.length; i++) {
        args[i] = types[i] == long.class ? 0L : types[i] == int.class ? 0 : types[i] == boolean.class ? false
            : types[i].isEnum() ? types[i].getEnumConstants()[0] : types[i] == String.class ? "source" : null;
      }
      method.invoke(guarded, args);
      expected.add(method.getName());
    }
    assertThat(called).containsExactlyInAnyOrderElementsOf(expected).hasSizeGreaterThanOrEqualTo(11);
  }

  @Test
  void aVirtualMachineErrorIsNotSwallowed() {
    AuthListener guarded = GuardedListener.of(new AuthListener() {
      @Override
      public void onCacheHit() {
        throw new OutOfMemoryError("test");
      }
    }, TIME);
    assertThatThrownBy(guarded::onCacheHit).isInstanceOf(OutOfMemoryError.class);
  }
}
