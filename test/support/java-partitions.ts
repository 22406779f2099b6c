// Partitions the Java client picks for these keys: Utils.toPositive(Utils.murmur2(key UTF-8)) % n.
// Obtained once by running a single-file Java program against the broker jars
// (java -cp '.kafka/libs/*' Murmur.java, calling org.apache.kafka.common.utils.Utils.murmur2, Kafka 4.4.0).
export const JAVA_PARTITIONS: Array<{key: string; murmur2: number; p3: number; p12: number}> = [
  {key: 'acct-1', murmur2: 294059390, p3: 2, p12: 2},
  {key: 'acct-42', murmur2: -1294421753, p3: 0, p12: 3},
  {key: 'opportunity:0061x00000ABCDE', murmur2: 1716261688, p3: 1, p12: 4},
  {key: 'hello', murmur2: 2132663229, p3: 0, p12: 9},
  {key: 'a', murmur2: -1563381124, p3: 1, p12: 4},
  {key: '🚀 émoji', murmur2: -1517338513, p3: 1, p12: 7},
]
