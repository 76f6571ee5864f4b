/**
 * The one uPlot wrapper every chart uses (after Grafana's Plot component): the chart is
 * made once per configuration, new data goes in with `setData`, the container's size with
 * `setSize`, and the chart is destroyed on unmount. A tick of new data never rebuilds it.
 */
import { useEffect, useRef } from 'react'
import uPlot, { type AlignedData, type Options } from 'uplot'
import 'uplot/dist/uPlot.min.css'

export interface PlotProps {
  /** Everything but the size: a new object rebuilds the chart, so make it with useMemo. */
  options: Omit<Options, 'width' | 'height'>
  data: AlignedData
  height: number
  /** Announced on the container for tests and screen readers. */
  label: string
}

export function Plot({ options, data, height, label }: PlotProps) {
  const container = useRef<HTMLDivElement>(null)
  const chart = useRef<uPlot | null>(null)
  // The latest data, for a chart rebuilt after its options changed; effects run in order, so this one is current first.
  const latest = useRef(data)
  useEffect(() => {
    latest.current = data
  })

  useEffect(() => {
    const element = container.current
    if (!element) return
    const plot = new uPlot({ ...options, width: element.clientWidth || 300, height }, latest.current, element)
    chart.current = plot
    const observer = new ResizeObserver(([entry]) => {
      const width = Math.floor(entry?.contentRect.width ?? 0)
      if (width > 0 && width !== plot.width) plot.setSize({ width, height })
    })
    observer.observe(element)
    return () => {
      observer.disconnect()
      plot.destroy()
      chart.current = null
    }
  }, [options, height])

  useEffect(() => {
    chart.current?.setData(data)
  }, [data])

  return <div ref={container} className="plot" role="img" aria-label={label} data-plot={label} data-points={data[0]?.length ?? 0} />
}
