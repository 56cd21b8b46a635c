/** Dataset replay: the episode list (success, object ids) and each frame's image, state, action, reward and success. */
import type { DatasetEpisodeEntry, DatasetEpisodeFrames } from '../protocol.js';
import { byId, drawRgb, fetchJson, fillList, fmt, row, showError } from './dom.js';
import { gripperRows } from './gripper.js';

function decodeBase64(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export class DatasetReplay {
  private episode: DatasetEpisodeFrames | null = null;
  private images: Uint8Array[] = [];
  private frame = 0;

  private constructor(private readonly entries: DatasetEpisodeEntry[]) {}

  static async open(name: string): Promise<DatasetReplay> {
    byId('dataset').hidden = false;
    byId('dataset-title').textContent = `dataset ${name}`;
    const replay = new DatasetReplay(await fetchJson<DatasetEpisodeEntry[]>('api/dataset/episodes.json'));
    replay.showList();
    const slider = byId<HTMLInputElement>('frame-slider');
    slider.addEventListener('input', () => replay.showFrame(Number(slider.value)));
    byId('frame-prev').addEventListener('click', () => replay.showFrame(replay.frame - 1));
    byId('frame-next').addEventListener('click', () => replay.showFrame(replay.frame + 1));
    if (replay.entries.length > 0) await replay.load(0);
    return replay;
  }

  private showList(): void {
    const body = byId<HTMLTableElement>('episodes').tBodies[0];
    body.replaceChildren(
      ...this.entries.map((e) => {
        const tr = row([String(e.index), String(e.seed), String(e.length), e.success ? 'yes' : 'no', e.policy, e.objectIds.join(' ')]);
        tr.dataset.index = String(e.index);
        tr.addEventListener('click', () => this.load(e.index).catch(showError));
        return tr;
      }),
    );
  }

  /** Fetch episode `index` and show its first frame. */
  async load(index: number): Promise<void> {
    const episode = await fetchJson<DatasetEpisodeFrames>(`api/dataset/episodes/${index}.json`);
    this.episode = episode;
    this.images = episode.frames.map((f) => decodeBase64(f.image));
    for (const tr of Array.from(byId<HTMLTableElement>('episodes').tBodies[0].rows)) tr.classList.toggle('selected', tr.dataset.index === String(index));
    const slider = byId<HTMLInputElement>('frame-slider');
    slider.max = String(episode.frames.length - 1);
    this.showFrame(0);
  }

  showFrame(t: number): void {
    const episode = this.episode;
    if (!episode) return;
    this.frame = Math.max(0, Math.min(episode.frames.length - 1, t));
    const f = episode.frames[this.frame];
    byId<HTMLInputElement>('frame-slider').value = String(this.frame);
    drawRgb(byId('frame'), this.images[this.frame], episode.imageWidth, episode.imageHeight);
    fillList(byId('frame-info'), [
      ['episode', String(episode.index)],
      ['frame', `${this.frame + 1} / ${episode.frames.length}`],
      ...gripperRows(f.state),
      ['action', `[${f.action.map((a) => fmt(a, 2)).join(', ')}]`],
      ['reward', fmt(f.reward, 3)],
      ['done', f.done ? 'yes' : 'no'],
      ['success', f.success ? 'yes' : 'no'],
    ]);
  }
}
