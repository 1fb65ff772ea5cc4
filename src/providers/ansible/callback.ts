/**
 * An Ansible callback plugin, written beside each run's inventory, that records failed and
 * unreachable tasks as JSON lines. The default stdout callback keeps streaming progress for
 * people; this one gives infra the task name and message as data, whatever the output looks like.
 * Kept as a string so the bundled CLI carries it without a data file.
 */

/** Name to enable it by (`ANSIBLE_CALLBACKS_ENABLED`). */
export const CALLBACK_NAME = 'infra_events';

/** Environment variable naming the JSON-lines file the plugin appends to. */
export const EVENTS_ENV = 'INFRA_ANSIBLE_EVENTS';

/** One failed task as the plugin records it. */
export interface TaskEvent {
  readonly event: 'failed' | 'unreachable';
  readonly host: string;
  /** `role : task name`, as ansible prints it. */
  readonly task: string;
  readonly msg?: unknown;
  readonly stderr?: unknown;
  readonly stdout?: unknown;
  readonly rc?: unknown;
  readonly module_stderr?: unknown;
  readonly exception?: unknown;
  /** Failed items of a loop, each with its own message and output. */
  readonly items?: readonly (Omit<TaskEvent, 'event' | 'host' | 'task' | 'items'> & { readonly item_label?: unknown })[];
}

/** Python source of the plugin (ansible-core 2.14+). */
export const CALLBACK_SOURCE = `# Written by infra's ansible_playbook provider for one run; see src/providers/ansible/callback.ts.
from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = '''
name: ${CALLBACK_NAME}
type: notification
short_description: failed tasks as JSON lines for infra
description: Appends one JSON object per failed or unreachable task to the file named by \$${EVENTS_ENV}.
'''

_KEYS = ('msg', 'stderr', 'stdout', 'rc', 'module_stderr', 'exception')


def _pick(result):
    return {key: result[key] for key in _KEYS if key in result}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'notification'
    CALLBACK_NAME = '${CALLBACK_NAME}'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._path = os.environ.get('${EVENTS_ENV}')

    def _record(self, kind, result):
        if not self._path:
            return
        res = result._result if isinstance(result._result, dict) else {}
        event = {'event': kind, 'host': result._host.get_name(), 'task': result._task.get_name()}
        event.update(_pick(res))
        if isinstance(res.get('results'), list):
            event['items'] = [
                dict(_pick(item), item_label=item.get('_ansible_item_label', item.get('item')))
                for item in res['results']
                if isinstance(item, dict) and item.get('failed')
            ]
        with open(self._path, 'a', encoding='utf-8') as f:
            f.write(json.dumps(event, default=str) + '\\n')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        if not ignore_errors:
            self._record('failed', result)

    def v2_runner_on_unreachable(self, result):
        self._record('unreachable', result)
`;
