/**
 * ECharts, only the parts the console draws (tree-shaken: line and bar, canvas renderer). Pages load
 * this module with import() so the inbox, which draws no chart, does not wait for it.
 */
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkLineComponent, TooltipComponent, DataZoomComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import type { ComposeOption } from 'echarts/core';
import type { BarSeriesOption, LineSeriesOption } from 'echarts/charts';
import type { GridComponentOption, LegendComponentOption, TooltipComponentOption, MarkLineComponentOption, DataZoomComponentOption } from 'echarts/components';

echarts.use([LineChart, BarChart, GridComponent, LegendComponent, TooltipComponent, MarkLineComponent, DataZoomComponent, CanvasRenderer]);

export type ChartOption = ComposeOption<LineSeriesOption | BarSeriesOption | GridComponentOption | LegendComponentOption | TooltipComponentOption | MarkLineComponentOption | DataZoomComponentOption>;

const live = new Set<echarts.ECharts>();
window.addEventListener('resize', () => live.forEach((c) => c.resize()));

/** A chart in `el`; disposed when the element leaves the page. */
export function chart(el: HTMLElement, option: ChartOption): echarts.ECharts {
  const c = echarts.init(el, undefined, { renderer: 'canvas' });
  c.setOption(option);
  live.add(c);
  const gone = new MutationObserver(() => {
    if (!el.isConnected) {
      live.delete(c);
      c.dispose();
      gone.disconnect();
    }
  });
  gone.observe(document.body, { childList: true, subtree: true });
  return c;
}

