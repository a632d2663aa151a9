"""The map's QML (QtLocation Map, OSM plugin); @NAMES@ are filled in by base.map_qml.

`stops`: numbered circles (the day's route, or a case's customer) with their fence circles;
`checkins`: square markers, green inside the fence and red outside; `showRoute`: the line
from stop to stop."""

MAP_QML = r'''import QtQuick
import QtLocation
import QtPositioning

Item {
    id: root
    objectName: "mapRoot"
    property var stops: []      // [{lat, lon, label, fence}] in route order
    property var checkins: []   // [{lat, lon, label, inside}]
    property bool showRoute: true
    property int tilesShown: 0

    Plugin {
        id: osm
        name: "osm"
        PluginParameter { name: "osm.mapping.custom.host"; value: "@HOST@" }
        PluginParameter { name: "osm.mapping.providersrepository.disabled"; value: true }
        PluginParameter { name: "osm.mapping.offline.directory"; value: "@OFFLINE@" }
        PluginParameter { name: "osm.mapping.cache.directory"; value: "@CACHE@" }
        PluginParameter { name: "osm.mapping.highdpi_tiles"; value: false }
    }

    Map {
        id: map
        objectName: "map"
        anchors.fill: parent
        plugin: osm
        activeMapType: supportedMapTypes[supportedMapTypes.length - 1]
        minimumZoomLevel: @MINZOOM@
        maximumZoomLevel: @MAXZOOM@
        zoomLevel: @ZOOM@
        center: QtPositioning.coordinate(@LAT@, @LON@)
        copyrightsVisible: false

        MapItemView {
            model: root.stops
            delegate: MapCircle {
                center: QtPositioning.coordinate(modelData.lat, modelData.lon)
                radius: modelData.fence
                color: "#221565c0"
                border.color: "#801565c0"
                border.width: 1
            }
        }
        MapPolyline {
            objectName: "routeLine"
            visible: root.showRoute
            line.width: 4
            line.color: "#c0d84315"
            path: root.stops.map(function (s) { return QtPositioning.coordinate(s.lat, s.lon) })
        }
        MapItemView {
            model: root.stops
            delegate: MapQuickItem {
                coordinate: QtPositioning.coordinate(modelData.lat, modelData.lon)
                // A numbered stop; without a number (a case's customer) a larger ring, so a
                // check-in drawn on top of it leaves it visible.
                anchorPoint.x: modelData.label ? 14 : 17
                anchorPoint.y: modelData.label ? 14 : 17
                sourceItem: Rectangle {
                    width: modelData.label ? 28 : 34; height: width; radius: width / 2
                    color: modelData.label ? "#1565c0" : "transparent"
                    border.color: modelData.label ? "white" : "#1565c0"; border.width: modelData.label ? 2 : 6
                    Text { anchors.centerIn: parent; text: modelData.label; color: "white"; font.bold: true }
                }
            }
        }
        MapItemView {
            model: root.checkins
            delegate: MapQuickItem {
                coordinate: QtPositioning.coordinate(modelData.lat, modelData.lon)
                anchorPoint.x: 10
                anchorPoint.y: 10
                sourceItem: Rectangle {
                    width: 20; height: 20; radius: 3
                    color: modelData.inside ? "#2e7d32" : "#c62828"; border.color: "white"; border.width: 2
                    Text { anchors.centerIn: parent; text: modelData.label; color: "white"; font.bold: true; font.pixelSize: 12 }
                }
            }
        }
    }
}
'''
