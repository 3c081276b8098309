package io.cartosecrets.benchmarks;

import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;

/** OkHttp set-up shared by the load scenarios. */
final class Http {
  private Http() {}

  /**
   * An OkHttp client whose pool keeps {@code connections} idle connections (OkHttp's default is 5),
   * so that a load of many threads reuses its connections instead of opening new ones all along.
   */
  static OkHttpClient pooled(int connections) {
    return new OkHttpClient.Builder().connectionPool(new ConnectionPool(connections, 5, TimeUnit.MINUTES)).build();
  }
}
