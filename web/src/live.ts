// The live connection: one WebSocket per open project, protobuf frames (proto/messages.proto).
// It subscribes to the project, remembers the highest `seq` it processed and, after a dropped
// connection, reconnects with back-off and resumes with `since_seq`: the events it missed
// arrive first, in order. A fresh subscription (the first, or after RESYNC_REQUIRED: the
// server no longer holds the missed events) calls `subscribed(true)`: the page then loads the
// state over REST, so whatever changes after the subscription arrives as an event.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  type WebSocketMessage,
  SubscribeSchema,
  WebSocketMessageSchema,
} from "./gen/messages_pb";

export type LiveStatus = "connecting" | "live" | "offline";
export type LiveEvent = WebSocketMessage["payload"];

export interface LiveHandlers {
  event(payload: LiveEvent): void;
  status(status: LiveStatus): void;
  /** Subscribed; `fresh`: with no `since_seq`, so the state must be (re)loaded now. */
  subscribed(fresh: boolean): void;
  /** The token expired or was refused. */
  expired(): void;
}

const MAX_BACKOFF_MS = 2000;

export class Live {
  private socket: WebSocket | null = null;
  private lastSeq: bigint | null = null;
  private backoff = 100;
  private closed = false;
  private timer: number | undefined;
  private nextId = 0;

  constructor(
    private readonly token: string,
    private readonly projectId: string,
    private readonly on: LiveHandlers,
  ) {}

  start(): void {
    this.closed = false;
    this.connect();
  }

  stop(): void {
    this.closed = true;
    window.clearTimeout(this.timer);
    this.socket?.close(1000);
    this.socket = null;
  }

  private connect(): void {
    this.on.status(this.lastSeq === null ? "connecting" : "offline");
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
    const socket = new WebSocket(url, ["pm.v1", `bearer.${this.token}`]);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    socket.onopen = () => this.subscribe();
    socket.onmessage = (message) => {
      if (message.data instanceof ArrayBuffer) this.receive(new Uint8Array(message.data));
    };
    socket.onclose = (close) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.closed) return;
      this.on.status("offline");
      if (close.code === 4001) {
        this.on.expired();
        return;
      }
      this.timer = window.setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
    };
  }

  private subscribe(): void {
    const subscribe = create(SubscribeSchema, { projectIds: [this.projectId] });
    if (this.lastSeq !== null) subscribe.sinceSeq = this.lastSeq;
    this.send({ case: "subscribe", value: subscribe });
  }

  private send(payload: WebSocketMessage["payload"]): void {
    const message = create(WebSocketMessageSchema, {
      messageId: `b${Date.now().toString(36)}-${(this.nextId++).toString(36)}`,
      timestamp: BigInt(Math.floor(Date.now() / 1000)),
      payload,
    });
    this.socket?.send(toBinary(WebSocketMessageSchema, message));
  }

  private receive(bytes: Uint8Array): void {
    const message = fromBinary(WebSocketMessageSchema, bytes);
    const payload = message.payload;
    if (payload.case === "subscriptionConfirmed") {
      const fresh = this.lastSeq === null;
      if (fresh) this.lastSeq = payload.value.currentSeq;
      this.backoff = 100;
      this.on.status("live");
      this.on.subscribed(fresh);
      return;
    }
    if (payload.case === "error") {
      if (payload.value.code === "RESYNC_REQUIRED") {
        this.lastSeq = null;
        this.subscribe();
      } else if (payload.value.code === "AUTHENTICATION_FAILED") {
        this.on.expired();
      }
      return;
    }
    if (message.seq > 0n) {
      if (this.lastSeq !== null && message.seq <= this.lastSeq) return; // already seen
      this.lastSeq = message.seq;
      this.on.event(payload);
    }
  }
}
