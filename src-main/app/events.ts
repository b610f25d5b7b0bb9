// Pushes events to every listener (each door forwards them to its windows). A failing listener never
// stops the others or the service that emitted.
import type { PushEvent } from '../../src-common/contract';

export class EventHub {
  private readonly listeners = new Set<(event: PushEvent) => void>();

  on(listener: (event: PushEvent) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  emit(event: PushEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch {
        // A door's listener failing (a closed window) is the door's business.
      }
    }
  }
}
