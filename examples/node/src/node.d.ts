// The few Node.js APIs the server uses, declared here. The usual source of
// these types, @types/node, comes from the npm registry, which the lab's
// local-base builds cannot reach; so
// the server declares what it needs, and both modes compile the same code.
interface NodeError extends Error {
  code?: string;
}

declare module "node:http" {
  interface IncomingMessage {
    method?: string;
    url?: string;
    statusCode?: number;
    headers: Record<string, string | string[] | undefined>;
    resume(): void;
  }
  interface ServerResponse {
    statusCode: number;
    setHeader(name: string, value: string | number): void;
    end(body?: string): void;
    on(event: "finish", listener: () => void): void;
  }
  interface Server {
    listen(options: { host: string; port: number; ipv6Only?: boolean }, callback: () => void): void;
    close(callback?: (error?: Error) => void): void;
    closeIdleConnections(): void;
    on(event: "error", listener: (error: NodeError) => void): void;
  }
  interface ClientRequest {
    on(event: "error", listener: (error: Error) => void): void;
    on(event: "timeout", listener: () => void): void;
    destroy(error?: Error): void;
  }
  function createServer(handler: (request: IncomingMessage, response: ServerResponse) => void): Server;
  function get(
    options: { host: string; port: number; path: string; timeout: number },
    callback: (response: IncomingMessage) => void,
  ): ClientRequest;
}

declare module "node:os" {
  function hostname(): string;
}

declare module "node:net" {
  function isIP(input: string): number;
}

declare module "node:dns" {
  function lookup(
    hostname: string,
    options: { all: true },
    callback: (error: Error | null, addresses: { address: string; family: number }[]) => void,
  ): void;
}

declare const process: {
  env: Record<string, string | undefined>;
  argv: string[];
  version: string;
  arch: string;
  stdout: { write(text: string): boolean };
  stderr: { write(text: string): boolean };
  exit(code?: number): never;
  on(signal: "SIGTERM" | "SIGINT", listener: () => void): void;
  hrtime: { bigint(): bigint };
};

declare const Buffer: { byteLength(text: string): number };

declare function setTimeout(callback: () => void, milliseconds: number): { unref(): void };
