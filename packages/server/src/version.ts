/**
 * The Redis version we report. Clients and tools gate features on it (redis-cli, Sentinel,
 * replicas), so it names the Redis release whose behaviour Keyhaven implements.
 */
export const REDIS_VERSION = "7.0.15";
export const KEYHAVEN_VERSION = "0.1.0";
